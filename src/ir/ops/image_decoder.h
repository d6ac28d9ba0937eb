// ImageDecoder's header probe: the format and size of an encoded image, read
// from its header alone (no pixel decoding), so that shape inference knows
// the output shape once the bytes are known.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "../status.h"

namespace kiln::ir {

enum class ImageFormat { kJPEG, kPNG, kBMP, kPNM };

struct ImageInfo {
    ImageFormat format = ImageFormat::kJPEG;
    int64_t height = 0, width = 0;
};

Status probeImage(const uint8_t* data, size_t size, ImageInfo& info);

}  // namespace kiln::ir
