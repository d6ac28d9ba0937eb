// Decoders for ImageDecoder's library-backed formats kept out of
// image_decoder.cpp. Each decodes a whole file to 8-bit RGB (H * W * 3,
// row-major), checks that the size agrees with the header probe (H, W), and
// returns an error, never crashes, on malformed or truncated data. The
// caller (imageDecoder) then applies pixel_format.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../../../../ir/status.h"

namespace kiln::cpu::ref::codecs {

using Pixels = std::vector<uint8_t>;  // H * W * 3, RGB

#ifdef KILN_HAVE_TIFF
Status decodeTiff(const uint8_t* data, size_t size, int64_t H, int64_t W, Pixels& rgb);
#endif
#ifdef KILN_HAVE_WEBP
Status decodeWebp(const uint8_t* data, size_t size, int64_t H, int64_t W, Pixels& rgb);
#endif
#ifdef KILN_HAVE_OPENJPEG
Status decodeJpeg2000(const uint8_t* data, size_t size, int64_t H, int64_t W, Pixels& rgb);
#endif

}  // namespace kiln::cpu::ref::codecs
