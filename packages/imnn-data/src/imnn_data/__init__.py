"""imnn-data: information-maximising neural networks fed by tf.data and TFRecords."""

from .__about__ import __version__ as __version__
from ._datasets import (
    gradient_datasets as gradient_datasets,
    numerical_gradient_datasets as numerical_gradient_datasets,
)
from ._factory import IMNN as IMNN
from ._gaussian import (
    DeepSet as DeepSet,
    gaussian_data as gaussian_data,
    gaussian_simulator as gaussian_simulator,
)
from ._gradient import GradientIMNN as GradientIMNN
from ._gradient_family import (
    AggregatedGradientIMNN as AggregatedGradientIMNN,
    DatasetGradientIMNN as DatasetGradientIMNN,
)
from ._maths import (
    FStatistics as FStatistics,
    LossStatistics as LossStatistics,
    get_alpha as get_alpha,
)
from ._model import IMNNState as IMNNState
from ._numerical import NumericalGradientIMNN as NumericalGradientIMNN
from ._numerical_family import (
    AggregatedNumericalGradientIMNN as AggregatedNumericalGradientIMNN,
    DatasetNumericalGradientIMNN as DatasetNumericalGradientIMNN,
)
from ._simulator import SimulatorIMNN as SimulatorIMNN
from ._simulator_family import AggregatedSimulatorIMNN as AggregatedSimulatorIMNN
from ._summariser import IMNNSummariser as IMNNSummariser
from ._tfrecords import TFRecords as TFRecords
