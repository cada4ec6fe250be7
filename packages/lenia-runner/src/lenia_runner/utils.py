"""Configuration helpers (defaults, v1 upgrade, YAML, dotted paths) and geometry."""

from ._utils import (
    RENDER_DEFAULTS as RENDER_DEFAULTS,
    RUN_DEFAULTS as RUN_DEFAULTS,
    WORLD_DEFAULTS as WORLD_DEFAULTS,
    auto_center as auto_center,
    center_and_crop as center_and_crop,
    center_world as center_world,
    check_config as check_config,
    check_dir as check_dir,
    crop_zero as crop_zero,
    generate_beta_faces as generate_beta_faces,
    get_container as get_container,
    get_param as get_param,
    load_config as load_config,
    merge_cells as merge_cells,
    save_config as save_config,
    seed_everything as seed_everything,
    set_param as set_param,
    st2fracs2float as st2fracs2float,
    update_config_v1_v2 as update_config_v1_v2,
)
