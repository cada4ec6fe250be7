"""Cell pattern codecs (gzip/base64 arrays, two-character code, Lenia RLE)."""

from ._loader import (
    DIM_DELIM as DIM_DELIM,
    MAX_VAL as MAX_VAL,
    ch2val as ch2val,
    char2val_deprecated as char2val_deprecated,
    compress_array as compress_array,
    decompress_array as decompress_array,
    decompress_array_gzip as decompress_array_gzip,
    deprecated_compress_array as deprecated_compress_array,
    deprecated_decompress_array as deprecated_decompress_array,
    load_raw_cells as load_raw_cells,
    make_array_compressible as make_array_compressible,
    val2ch as val2ch,
    val2char_deprecated as val2char_deprecated,
)

rle_encode = deprecated_compress_array
"""Encode an array as Bert Chan's Lenia RLE (alias of `deprecated_compress_array`)."""
rle_decode = deprecated_decompress_array
"""Decode Bert Chan's Lenia RLE (alias of `deprecated_decompress_array`)."""
