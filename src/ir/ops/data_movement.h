// Parameter resolution for the data movement ops (docs/ops.md), shared by
// shape inference and the CPU reference kernels so that both read attributes
// and value-carrying inputs (Shuffle's Shape, Slice's Start/Size/Stride, Pad's
// Pads, Resize's Sizes) in exactly the same way. Kernels call these with
// TensorDescs built from their run-time tensors.
#pragma once
#include <string>
#include <vector>

#include "../op_schema.h"

namespace kiln::ir::movement {

// Errors unless input i is given.
Status requireInput(const Node& node, const std::vector<TensorDesc>& in, size_t i, const char* what);
// Reads an int32/int64 tensor of static shape. Errors name input i; a null
// `data` (values unknown at build time) is an error that says so.
Status readIntTensor(const TensorDesc& t, size_t i, std::vector<int64_t>& out);
// Checks that perm is a permutation of [0, rank); `what` names the attribute.
Status checkPerm(const std::vector<int64_t>& perm, size_t rank, const char* what);

// How Slice (and Pad, which is a Slice) treats out-of-bounds coordinates:
// TensorRT's ISliceLayer SampleMode.
enum class SampleMode { kStrict, kClamp, kWrap, kFill, kReflect };
// Maps coordinate x of a dim of extent d (> 0) into [0, d); -1 means "use the
// fill value" (kFill) or "out of bounds" (kStrict).
int64_t sampleCoord(int64_t x, int64_t d, SampleMode mode);

// Concat / Shape / Identity (data_movement.cpp)
Status inferConcat(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out);
Status inferShape(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out);
Status inferIdentity(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out);
// Shape's [start, end) after ONNX Shape-15 clamping.
void shapeRange(const Node& node, int64_t rank, int64_t& start, int64_t& end);

// Shuffle (shuffle.cpp): transpose(perm1) -> reshape -> transpose(perm2).
struct ShuffleParams {
    std::vector<int64_t> perm1, perm2;  // always full (identity when not given)
    Shape transposed;                   // X's shape after perm1
    Shape reshaped;                     // after the reshape (== transposed without one)
};
Status resolveShuffle(const Node& node, const std::vector<TensorDesc>& in, ShuffleParams& p);
// Whether perm leaves every axis where it is.
bool isIdentityPerm(const std::vector<int64_t>& perm);
Status inferShuffle(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out);

// Gather (gather.cpp).
enum class GatherMode { kDefault, kElements, kND };
struct GatherParams {
    GatherMode mode = GatherMode::kDefault;
    int64_t axis = 0;       // normalized (default, elements)
    int64_t batchDims = 0;  // nd
    Shape outShape;
};
Status resolveGather(const Node& node, const std::vector<TensorDesc>& in, GatherParams& p);
Status inferGather(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out);

// Slice and Pad (slice.cpp). Both sample X at start + i*stride per dim.
struct SliceParams {
    Shape start, size, stride;
    bool startKnown = true, strideKnown = true;  // false: input values unknown at build time
    SampleMode mode = SampleMode::kStrict;
    double fillValue = 0.0;
};
Status resolveSlice(const Node& node, const std::vector<TensorDesc>& in, SliceParams& p);
Status inferSlice(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out);
// Pad as a slice: start = -pads_begin, size = d + begin + end, stride 1.
// fillValue is the `value` attribute; the Value input (if any) is read by the kernel.
Status resolvePad(const Node& node, const std::vector<TensorDesc>& in, SliceParams& p);
Status inferPad(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out);

// Resize (resize.cpp), ONNX Resize-19.
enum class ResizeMode { kNearest, kLinear, kCubic };
enum class CoordTransform {
    kHalfPixel,
    kAsymmetric,
    kAlignCorners,
    kPytorchHalfPixel,
    kTfHalfPixelForNN,
    kHalfPixelSymmetric,
    kTfCropAndResize,  // extension: needs the `roi` attribute, see resize.cpp
};
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };
struct ResizeParams {
    ResizeMode mode = ResizeMode::kNearest;
    CoordTransform coord = CoordTransform::kHalfPixel;
    NearestMode nearest = NearestMode::kRoundPreferFloor;
    double cubicA = -0.75;
    bool excludeOutside = false;
    bool antialias = false;      // linear/cubic downsampling widens the filter by 1/scale
    double extrapolationValue = 0.0;
    std::vector<double> scales;  // per dim: given scales, or out/in when sizes are given
    bool scalesGiven = false;    // ONNX then takes in*scale (not out) as the resized length
    std::vector<double> roi;     // 2*rank: starts then ends (tf_crop_and_resize)
    Shape outShape;
};
Status resolveResize(const Node& node, const std::vector<TensorDesc>& in, ResizeParams& p);
Status inferResize(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out);
// The input coordinate that output coordinate x of dim d samples; sets
// `outside` when tf_crop_and_resize maps it outside the input (extrapolate).
double resizeSourceCoord(const ResizeParams& p, size_t d, int64_t x, int64_t inLen, bool& outside);

}  // namespace kiln::ir::movement
