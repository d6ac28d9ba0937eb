// Shapes are vectors of extents; -1 marks a dimension unknown until run time.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace kiln::ir {

using Shape = std::vector<int64_t>;
constexpr int kMaxRank = 8;

int64_t volume(const Shape& s);  // product of extents; 0 if any is 0; -1 if any unknown
bool isStatic(const Shape& s);
std::string shapeToString(const Shape& s);  // "[1,3,224,224]"

// numpy broadcasting of two shapes; false if incompatible.
bool broadcastShapes(const Shape& a, const Shape& b, Shape& out);

// Row-major strides of a static shape.
std::vector<int64_t> stridesOf(const Shape& s);

// Normalizes a possibly negative axis against rank; false if out of range.
bool normalizeAxis(int64_t& axis, int64_t rank);

}  // namespace kiln::ir
