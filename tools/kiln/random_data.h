// Seeded random tensor contents for inputs the user did not give. The same
// seed gives the same bytes on every platform (no std:: distributions, whose
// output is implementation-defined).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kiln/kiln.h"

namespace kiln::cli {

// Fills `count` elements of `type` at `dst`: floats uniform in [-1, 1),
// integers in [0, 10), booleans 0 or 1. Returns false for an unknown type.
bool fillRandom(DataType type, void* dst, size_t count, uint32_t seed);

// IEEE float32 -> float16 / bfloat16 bits, rounding to nearest even.
uint16_t floatToHalf(float f);
uint16_t floatToBf16(float f);

}  // namespace kiln::cli
