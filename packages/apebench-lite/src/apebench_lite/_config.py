"""Helpers to parse the `;`-separated configuration strings with clear errors."""

from collections.abc import Sequence


class ConfigError(ValueError):
    """A configuration string does not follow its grammar."""


GRAMMARS = {
    "ic_config": (
        "'fourier;CUTOFF;ZERO_MEAN;MAX_ONE' | 'diffused;INTENSITY;ZERO_MEAN;MAX_ONE' "
        "| 'grf;POWERLAW_EXPONENT;ZERO_MEAN;MAX_ONE' | 'clamp;LOW;HIGH;<ic_config>' "
        "(e.g. 'fourier;5;true;true')"
    ),
    "optim_config": (
        "'adam;NUM_STEPS;constant;LR' | 'adam;NUM_STEPS;exp;LR;TRANSITION_STEPS;"
        "DECAY_RATE;STAIRCASE' | 'adam;NUM_STEPS;warmup_cosine;INIT_LR;PEAK_LR;"
        "WARMUP_STEPS' (e.g. 'adam;10_000;warmup_cosine;0.0;1e-3;2_000')"
    ),
    "train_config": (
        "'one' | 'sup;N[;CUT_BPTT]' | 'div;N[;CUT_BPTT[;CUT_DIV_CHAIN]]' (also "
        "'sup-N', 'div-N'; e.g. 'sup;5')"
    ),
    "task_config": (
        "'predict' | 'correct;sequential' | 'correct;parallel' | "
        "'correct;sequential_with_bypass'"
    ),
    "network_config": (
        "'Conv;WIDTH;DEPTH;ACT' | 'Res;WIDTH;BLOCKS;ACT' | 'UNet;WIDTH;LEVELS;ACT' | "
        "'Dil;DIL_FACTOR;WIDTH;BLOCKS;ACT' | 'FNO;MODES;WIDTH;BLOCKS;ACT' | "
        "'MLP;WIDTH;DEPTH;ACT' | 'Pure;KERNEL_SIZE[;ACT]' | 'MoRes;WIDTH;BLOCKS;ACT' | "
        "'MoUNet;WIDTH;LEVELS;ACT' with ACT one of relu, sigmoid, tanh, swish, gelu, "
        "identity (e.g. 'Conv;34;10;relu')"
    ),
    "report_metrics": (
        "comma-separated metrics: mean_{MAE,nMAE,sMAE,MSE,nMSE,sMSE,RMSE,nRMSE,sRMSE},"
        " mean_correlation, mean_fourier_{MAE,nMAE,MSE,nMSE,RMSE,nRMSE};LOW;HIGH;"
        "DERIVATIVE_ORDER, mean_H1_{MAE,nMAE,MSE,nMSE,RMSE,nRMSE} (e.g. "
        "'mean_nRMSE,mean_correlation')"
    ),
    "callbacks": (
        "'' or comma-separated 'net;EVERY', 'weight_norm;EVERY', 'metrics;EVERY', "
        "'sample_rollout;EVERY'"
    ),
}


def config_error(kind: str, config: str, problem: str) -> ConfigError:
    return ConfigError(
        f"invalid {kind} {config!r}: {problem}. Expected {GRAMMARS[kind]}."
    )


def split(config: str, kind: str) -> list[str]:
    if not isinstance(config, str) or not config.strip():
        raise config_error(kind, str(config), "it is empty or not a string")
    return [p.strip() for p in config.split(";")]


def to_int(value: str, kind: str, config: str, field: str) -> int:
    try:
        return int(value.replace("_", ""))
    except ValueError:
        try:
            f = float(value.replace("_", ""))
        except ValueError:
            f = None
        if f is not None and f.is_integer():
            return int(f)
        raise config_error(
            kind, config, f"{field} must be an integer, got {value!r}"
        ) from None


def to_float(value: str, kind: str, config: str, field: str) -> float:
    try:
        return float(value.replace("_", ""))
    except ValueError:
        raise config_error(
            kind, config, f"{field} must be a number, got {value!r}"
        ) from None


def to_bool(value: str, kind: str, config: str, field: str) -> bool:
    """`true`/`false` in any case (APEBench's spellings); anything else is an error."""
    word = value.strip().lower()
    if word in ("true", "false"):
        return word == "true"
    raise config_error(
        kind, config, f"{field} must be 'true' or 'false' (any case), got {value!r}"
    )


def expect_fields(
    parts: Sequence[str], counts: Sequence[int], kind: str, config: str, what: str
) -> None:
    if len(parts) not in counts:
        want = " or ".join(str(c) for c in counts)
        raise config_error(
            kind, config, f"{what} takes {want} ';'-separated fields, got {len(parts)}"
        )
