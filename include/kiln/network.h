// kiln public API: the network definition (tensors and layers).
//
// Layers and tensors are owned by the network that created them; the pointers
// stay valid as long as the network lives. Every method that can fail reports
// through the builder's ILogger and returns nullptr / false; nothing throws.
// Axes given as bitmasks (`axes`) count non-batch dimensions in a network
// created with createNetwork() (implicit batch), all dimensions otherwise.
#pragma once
#include <cstdint>

#include "types.h"

namespace kiln {

enum class LayerType : int32_t {
    kCONVOLUTION,
    kFULLY_CONNECTED,
    kACTIVATION,
    kPOOLING,
    kLRN,
    kSCALE,
    kSOFTMAX,
    kDECONVOLUTION,
    kCONCATENATION,
    kELEMENTWISE,
    kPLUGIN,
    kUNARY,
    kPADDING,
    kSHUFFLE,
    kREDUCE,
    kTOPK,
    kGATHER,
    kMATRIX_MULTIPLY,
    kRAGGED_SOFTMAX,
    kCONSTANT,
    kIDENTITY,
    kSLICE,
    kSHAPE,
    kPARAMETRIC_RELU,
    kRESIZE,
    kSELECT,
    kCAST,
    kNORMALIZATION,
    kFILL,
    kNON_ZERO,
    kNMS,
    kUNIQUE,
    kCONDITION,
    kCONDITIONAL_INPUT,
    kCONDITIONAL_OUTPUT,
    kRECURRENCE,
    kITERATOR,
    kTRIP_LIMIT,
    kLOOP_OUTPUT,
    kSCATTER,
    kCUMULATIVE,
    kONE_HOT,
    kREVERSE_SEQUENCE,
    kEINSUM,
    kDETERMINANT,
    kGRID_SAMPLE,
    kRNN,
    kDFT,
    kSTFT,
    kWINDOW,
    kMEL_WEIGHT_MATRIX,
    kROI_ALIGN,
    kCOL2IM,
    kMAX_UNPOOL,
    kAFFINE_GRID,
    kDEFORM_CONVOLUTION,
    kTFIDF_VECTORIZER,
    kIMAGE_DECODER,
    kTREE_ENSEMBLE,
};

enum class ActivationType : int32_t {
    kRELU,              //!< max(x, 0)
    kSIGMOID,           //!< 1 / (1 + e^-x)
    kTANH,              //!< tanh(x)
    kLEAKY_RELU,        //!< x >= 0 ? x : alpha * x
    kELU,               //!< x >= 0 ? x : alpha * (e^x - 1)
    kSELU,              //!< beta * (x > 0 ? x : alpha * (e^x - 1))
    kSOFTSIGN,          //!< x / (1 + |x|)
    kSOFTPLUS,          //!< log(1 + e^x) (alpha, beta ignored)
    kCLIP,              //!< min(max(x, alpha), beta)
    kHARD_SIGMOID,      //!< max(0, min(1, alpha * x + beta))
    kSCALED_TANH,       //!< alpha * tanh(beta * x)
    kTHRESHOLDED_RELU,  //!< x > alpha ? x : 0
    kGELU_ERF,          //!< 0.5 x (1 + erf(x / sqrt 2))
    kGELU_TANH,         //!< tanh approximation of GELU
    kSILU,              //!< x * sigmoid(x)
};

enum class PoolingType : int32_t {
    kMAX,
    kAVERAGE,
    kLP,  //!< kiln extension (ONNX LpPool): (sum |x|^p)^(1/p) over the window, padding ignored
};

//! How padding and output size are computed for convolution/pooling.
enum class PaddingMode : int32_t {
    kEXPLICIT_ROUND_DOWN,  //!< explicit pre/post padding, floor of the output size
    kEXPLICIT_ROUND_UP,    //!< explicit pre/post padding, ceil of the output size
    kSAME_UPPER,           //!< output = ceil(in / stride); odd padding at the end
    kSAME_LOWER,           //!< output = ceil(in / stride); odd padding at the start
};

enum class ElementWiseOperation : int32_t {
    kSUM, kPROD, kMAX, kMIN, kSUB, kDIV, kPOW, kFLOOR_DIV, kAND, kOR, kXOR, kEQUAL, kGREATER, kLESS,
    kMOD,   //!< kiln: remainder taking the divisor's sign (Python %; ONNX Mod with fmod = 0)
    kFMOD,  //!< kiln: remainder taking the dividend's sign (C fmod; ONNX Mod with fmod = 1)
};

enum class UnaryOperation : int32_t {
    kEXP, kLOG, kSQRT, kRECIP, kABS, kNEG, kSIN, kCOS, kTAN, kSINH, kCOSH, kASIN, kACOS, kATAN,
    kASINH, kACOSH, kATANH, kCEIL, kFLOOR, kERF, kNOT, kSIGN, kROUND, kISINF, kISNAN,
};

enum class ScaleMode : int32_t {
    kUNIFORM,      //!< one coefficient for the whole tensor
    kCHANNEL,      //!< one coefficient per channel
    kELEMENTWISE,  //!< one coefficient per element (of one batch item)
};

enum class ReduceOperation : int32_t { kSUM, kPROD, kMAX, kMIN, kAVG };

enum class MatrixOperation : int32_t {
    kNONE,       //!< use the operand as is
    kTRANSPOSE,  //!< transpose the last two dimensions
    kVECTOR,     //!< treat the last dimension as a vector (no matrix dims)
};

enum class TopKOperation : int32_t { kMAX, kMIN };

enum class GatherMode : int32_t {
    kDEFAULT,  //!< ONNX Gather
    kELEMENT,  //!< ONNX GatherElements
    kND,       //!< ONNX GatherND
};

//! What a slice does with coordinates outside the input.
enum class SampleMode : int32_t {
    kSTRICT_BOUNDS,  //!< error
    kWRAP,           //!< wrap around
    kCLAMP,          //!< clamp to the edge
    kFILL,           //!< use the fill value (input 4, default 0)
    kREFLECT,        //!< reflect at the edges
};
constexpr SampleMode kSAMPLE_DEFAULT = SampleMode::kSTRICT_BOUNDS;

enum class InterpolationMode : int32_t { kNEAREST, kLINEAR, kCUBIC };
using ResizeMode = InterpolationMode;

enum class ResizeCoordinateTransformation : int32_t {
    kALIGN_CORNERS,
    kASYMMETRIC,
    kHALF_PIXEL,
    kTF_HALF_PIXEL_FOR_NN,  //!< kiln: ONNX tf_half_pixel_for_nn
    kHALF_PIXEL_SYMMETRIC,  //!< kiln: ONNX half_pixel_symmetric
    kTF_CROP_AND_RESIZE,    //!< kiln: ONNX tf_crop_and_resize (region from setInput(3, roi))
};

//! How a resized extent of 1 picks its source coordinate.
enum class ResizeSelector : int32_t {
    kFORMULA,  //!< the coordinate transformation's formula
    kUPPER,    //!< coordinate 0 (with kHALF_PIXEL: ONNX pytorch_half_pixel)
};

enum class ResizeRoundMode : int32_t { kHALF_UP, kHALF_DOWN, kFLOOR, kCEIL };

enum class ScatterMode : int32_t {
    kELEMENT,  //!< ONNX ScatterElements: one index per update element, along the axis
    kND,       //!< ONNX ScatterND: index tuples address elements or slices of data
};

//! How an update combines with the data it lands on (kiln extension; ONNX's `reduction`).
enum class ScatterReduction : int32_t { kNONE, kSUM, kPROD, kMAX, kMIN };

//! kPROD is a kiln extension (ONNX CumProd).
enum class CumulativeOperation : int32_t { kSUM, kPROD };

//! A tensor of the network: a network input or a layer output.
class ITensor {
public:
    virtual void setName(const char* name) noexcept = 0;
    virtual const char* getName() const noexcept = 0;
    //! Dimensions; for a network input these may be set again before the build.
    virtual void setDimensions(const Dims& dims) noexcept = 0;
    virtual Dims getDimensions() const noexcept = 0;
    virtual void setType(DataType type) noexcept = 0;
    virtual DataType getType() const noexcept = 0;
    //! INT8 range of the values; false if min > max or the range is not finite.
    virtual bool setDynamicRange(float min, float max) noexcept = 0;
    virtual bool dynamicRangeIsSet() const noexcept = 0;
    virtual float getDynamicRangeMin() const noexcept = 0;
    virtual float getDynamicRangeMax() const noexcept = 0;
    virtual bool isNetworkInput() const noexcept = 0;
    virtual bool isNetworkOutput() const noexcept = 0;

protected:
    virtual ~ITensor() = default;
};

//! Common interface of every layer.
class ILayer {
public:
    virtual LayerType getType() const noexcept = 0;
    virtual void setName(const char* name) noexcept = 0;
    virtual const char* getName() const noexcept = 0;
    virtual int32_t getNbInputs() const noexcept = 0;
    virtual ITensor* getInput(int32_t index) const noexcept = 0;
    virtual int32_t getNbOutputs() const noexcept = 0;
    virtual ITensor* getOutput(int32_t index) const noexcept = 0;
    //! Replaces input `index` (or sets an optional input).
    virtual void setInput(int32_t index, ITensor& tensor) noexcept = 0;
    //! Pins the precision the layer computes in (honoured with kOBEY_PRECISION_CONSTRAINTS).
    virtual void setPrecision(DataType type) noexcept = 0;
    virtual DataType getPrecision() const noexcept = 0;
    virtual bool precisionIsSet() const noexcept = 0;
    virtual void resetPrecision() noexcept = 0;
    virtual void setOutputType(int32_t index, DataType type) noexcept = 0;
    virtual DataType getOutputType(int32_t index) const noexcept = 0;
    virtual bool outputTypeIsSet(int32_t index) const noexcept = 0;
    virtual void resetOutputType(int32_t index) noexcept = 0;

protected:
    virtual ~ILayer() = default;
};

class IConvolutionLayer : public ILayer {
public:
    virtual void setKernelSizeNd(const Dims& size) noexcept = 0;
    virtual Dims getKernelSizeNd() const noexcept = 0;
    virtual void setNbOutputMaps(int64_t n) noexcept = 0;
    virtual int64_t getNbOutputMaps() const noexcept = 0;
    virtual void setStride(const DimsHW& stride) noexcept = 0;  //!< 2-D shorthand for setStrideNd
    virtual void setStrideNd(const Dims& stride) noexcept = 0;
    virtual Dims getStrideNd() const noexcept = 0;
    virtual void setPadding(const DimsHW& padding) noexcept = 0;  //!< symmetric, 2-D
    virtual void setPaddingNd(const Dims& padding) noexcept = 0;  //!< symmetric
    virtual Dims getPaddingNd() const noexcept = 0;
    virtual void setPrePadding(const Dims& padding) noexcept = 0;
    virtual Dims getPrePadding() const noexcept = 0;
    virtual void setPostPadding(const Dims& padding) noexcept = 0;
    virtual Dims getPostPadding() const noexcept = 0;
    virtual void setPaddingMode(PaddingMode mode) noexcept = 0;
    virtual PaddingMode getPaddingMode() const noexcept = 0;
    virtual void setNbGroups(int64_t groups) noexcept = 0;
    virtual int64_t getNbGroups() const noexcept = 0;
    virtual void setDilation(const DimsHW& dilation) noexcept = 0;
    virtual void setDilationNd(const Dims& dilation) noexcept = 0;
    virtual Dims getDilationNd() const noexcept = 0;
    virtual void setKernelWeights(Weights weights) noexcept = 0;
    virtual Weights getKernelWeights() const noexcept = 0;
    virtual void setBiasWeights(Weights weights) noexcept = 0;
    virtual Weights getBiasWeights() const noexcept = 0;
};

//! Transposed convolution; same parameters as convolution.
class IDeconvolutionLayer : public IConvolutionLayer {
public:
    //! kiln: extra extent added at the end of each spatial output dimension (ONNX
    //! output_padding; each entry below the stride or the dilation).
    virtual void setOutputPadding(const Dims& padding) noexcept = 0;
    virtual Dims getOutputPadding() const noexcept = 0;
    //! kiln: the spatial output size (ONNX output_shape); the padding then follows from
    //! it (split evenly, the odd unit at the end, or at the start with kSAME_LOWER).
    virtual void setOutputShape(const Dims& shape) noexcept = 0;
    virtual Dims getOutputShape() const noexcept = 0;
};

class IFullyConnectedLayer : public ILayer {
public:
    virtual void setNbOutputChannels(int64_t n) noexcept = 0;
    virtual int64_t getNbOutputChannels() const noexcept = 0;
    virtual void setKernelWeights(Weights weights) noexcept = 0;
    virtual Weights getKernelWeights() const noexcept = 0;
    virtual void setBiasWeights(Weights weights) noexcept = 0;
    virtual Weights getBiasWeights() const noexcept = 0;
};

class IActivationLayer : public ILayer {
public:
    virtual void setActivationType(ActivationType type) noexcept = 0;
    virtual ActivationType getActivationType() const noexcept = 0;
    virtual void setAlpha(float alpha) noexcept = 0;
    virtual float getAlpha() const noexcept = 0;
    virtual void setBeta(float beta) noexcept = 0;
    virtual float getBeta() const noexcept = 0;
};

class IPoolingLayer : public ILayer {
public:
    virtual void setPoolingType(PoolingType type) noexcept = 0;
    virtual PoolingType getPoolingType() const noexcept = 0;
    virtual void setWindowSize(const DimsHW& size) noexcept = 0;
    virtual void setWindowSizeNd(const Dims& size) noexcept = 0;
    virtual Dims getWindowSizeNd() const noexcept = 0;
    virtual void setStride(const DimsHW& stride) noexcept = 0;
    virtual void setStrideNd(const Dims& stride) noexcept = 0;
    virtual Dims getStrideNd() const noexcept = 0;
    virtual void setPadding(const DimsHW& padding) noexcept = 0;
    virtual void setPaddingNd(const Dims& padding) noexcept = 0;
    virtual Dims getPaddingNd() const noexcept = 0;
    virtual void setPrePadding(const Dims& padding) noexcept = 0;
    virtual Dims getPrePadding() const noexcept = 0;
    virtual void setPostPadding(const Dims& padding) noexcept = 0;
    virtual Dims getPostPadding() const noexcept = 0;
    virtual void setPaddingMode(PaddingMode mode) noexcept = 0;
    virtual PaddingMode getPaddingMode() const noexcept = 0;
    //! Average pooling: divide by the real elements only (default true).
    virtual void setAverageCountExcludesPadding(bool exclusive) noexcept = 0;
    virtual bool getAverageCountExcludesPadding() const noexcept = 0;
    //! kiln extension (ONNX pooling): spacing between window taps, one entry per
    //! spatial dimension (default 1 each).
    virtual void setDilationNd(const Dims& dilation) noexcept = 0;
    virtual Dims getDilationNd() const noexcept = 0;
    //! kiln extension: the order p of PoolingType::kLP (default 2; must be > 0).
    virtual void setLpNormOrder(float p) noexcept = 0;
    virtual float getLpNormOrder() const noexcept = 0;
    //! kiln extension (ONNX MaxPool's Indices): adds a second, int64 output that
    //! holds for every maximum its index into the flattened input (N*C*spatial),
    //! -1 for a window covering only padding. Max pooling only. Returns the
    //! output (the same one when called again); null after logging on error.
    virtual ITensor* addIndicesOutput() noexcept = 0;
    //! Spatial order of those indices: row-major (default) or column-major
    //! (ONNX storage_order 1).
    virtual void setIndicesColumnMajor(bool columnMajor) noexcept = 0;
    virtual bool getIndicesColumnMajor() const noexcept = 0;
};

class ILRNLayer : public ILayer {
public:
    virtual void setWindowSize(int64_t size) noexcept = 0;
    virtual int64_t getWindowSize() const noexcept = 0;
    virtual void setAlpha(float alpha) noexcept = 0;
    virtual float getAlpha() const noexcept = 0;
    virtual void setBeta(float beta) noexcept = 0;
    virtual float getBeta() const noexcept = 0;
    virtual void setK(float k) noexcept = 0;
    virtual float getK() const noexcept = 0;
};

class IScaleLayer : public ILayer {
public:
    virtual void setMode(ScaleMode mode) noexcept = 0;
    virtual ScaleMode getMode() const noexcept = 0;
    virtual void setShift(Weights shift) noexcept = 0;
    virtual Weights getShift() const noexcept = 0;
    virtual void setScale(Weights scale) noexcept = 0;
    virtual Weights getScale() const noexcept = 0;
    virtual void setPower(Weights power) noexcept = 0;
    virtual Weights getPower() const noexcept = 0;
    virtual void setChannelAxis(int32_t axis) noexcept = 0;
    virtual int32_t getChannelAxis() const noexcept = 0;
};

class ISoftMaxLayer : public ILayer {
public:
    //! Bitmask with exactly one bit: the axis softmax runs along.
    virtual void setAxes(uint32_t axes) noexcept = 0;
    virtual uint32_t getAxes() const noexcept = 0;
};

class IConcatenationLayer : public ILayer {
public:
    virtual void setAxis(int32_t axis) noexcept = 0;
    virtual int32_t getAxis() const noexcept = 0;
};

class IElementWiseLayer : public ILayer {
public:
    virtual void setOperation(ElementWiseOperation op) noexcept = 0;
    virtual ElementWiseOperation getOperation() const noexcept = 0;
};

class IUnaryLayer : public ILayer {
public:
    virtual void setOperation(UnaryOperation op) noexcept = 0;
    virtual UnaryOperation getOperation() const noexcept = 0;
};

class IPaddingLayer : public ILayer {
public:
    //! Padding of the innermost dimensions (negative values crop).
    virtual void setPrePaddingNd(const Dims& padding) noexcept = 0;
    virtual Dims getPrePaddingNd() const noexcept = 0;
    virtual void setPostPaddingNd(const Dims& padding) noexcept = 0;
    virtual Dims getPostPaddingNd() const noexcept = 0;
};

//! Permutation of up to MAX_DIMS axes.
struct Permutation {
    int32_t order[Dims::MAX_DIMS] = {0, 1, 2, 3, 4, 5, 6, 7};
};

//! transpose -> reshape -> transpose. A second input (setInput(1, shape)) gives
//! the reshape dimensions as a tensor.
class IShuffleLayer : public ILayer {
public:
    virtual void setFirstTranspose(Permutation permutation) noexcept = 0;
    virtual Permutation getFirstTranspose() const noexcept = 0;
    //! 0 copies the input extent at that index (see setZeroIsPlaceholder); one -1 is inferred.
    virtual void setReshapeDimensions(const Dims& dims) noexcept = 0;
    virtual Dims getReshapeDimensions() const noexcept = 0;
    virtual void setSecondTranspose(Permutation permutation) noexcept = 0;
    virtual Permutation getSecondTranspose() const noexcept = 0;
    virtual void setZeroIsPlaceholder(bool zeroIsPlaceholder) noexcept = 0;
    virtual bool getZeroIsPlaceholder() const noexcept = 0;
};

//! Reduces over the axes of a bitmask; kiln also takes setInput(1, axes): a 1-D int32/int64
//! tensor listing the axes (negative ones count from the end), whose values may be known
//! only at run time. It replaces the bitmask.
class IReduceLayer : public ILayer {
public:
    virtual void setOperation(ReduceOperation op) noexcept = 0;
    virtual ReduceOperation getOperation() const noexcept = 0;
    virtual void setReduceAxes(uint32_t axes) noexcept = 0;
    virtual uint32_t getReduceAxes() const noexcept = 0;
    virtual void setKeepDimensions(bool keep) noexcept = 0;
    virtual bool getKeepDimensions() const noexcept = 0;
};

class ITopKLayer : public ILayer {
public:
    virtual void setOperation(TopKOperation op) noexcept = 0;
    virtual TopKOperation getOperation() const noexcept = 0;
    virtual void setK(int32_t k) noexcept = 0;
    virtual int32_t getK() const noexcept = 0;
    virtual void setReduceAxes(uint32_t axes) noexcept = 0;
    virtual uint32_t getReduceAxes() const noexcept = 0;
};

class IGatherLayer : public ILayer {
public:
    virtual void setGatherAxis(int32_t axis) noexcept = 0;
    virtual int32_t getGatherAxis() const noexcept = 0;
    virtual void setNbElementWiseDims(int32_t elementWiseDims) noexcept = 0;  //!< batch dims of kND
    virtual int32_t getNbElementWiseDims() const noexcept = 0;
    virtual void setMode(GatherMode mode) noexcept = 0;
    virtual GatherMode getMode() const noexcept = 0;
};

class IMatrixMultiplyLayer : public ILayer {
public:
    virtual void setOperation(int32_t index, MatrixOperation op) noexcept = 0;
    virtual MatrixOperation getOperation(int32_t index) const noexcept = 0;
};

class IConstantLayer : public ILayer {
public:
    virtual void setWeights(Weights weights) noexcept = 0;
    virtual Weights getWeights() const noexcept = 0;
    virtual void setDimensions(const Dims& dims) noexcept = 0;
    virtual Dims getDimensions() const noexcept = 0;
};

class IIdentityLayer : public ILayer {};

class ICastLayer : public ILayer {
public:
    virtual void setToType(DataType type) noexcept = 0;
    virtual DataType getToType() const noexcept = 0;
};

//! out[i] = in[start + i * stride] per dimension; size is the output shape.
class ISliceLayer : public ILayer {
public:
    virtual void setStart(const Dims& start) noexcept = 0;
    virtual Dims getStart() const noexcept = 0;
    virtual void setSize(const Dims& size) noexcept = 0;
    virtual Dims getSize() const noexcept = 0;
    virtual void setStride(const Dims& stride) noexcept = 0;
    virtual Dims getStride() const noexcept = 0;
    virtual void setMode(SampleMode mode) noexcept = 0;
    virtual SampleMode getMode() const noexcept = 0;
};

class IShapeLayer : public ILayer {};

class IParametricReLULayer : public ILayer {};

//! Resizes a tensor. setInput(1, sizes) gives the output dimensions as a 1-D int tensor
//! (their values may be known only at run time); kiln also takes setInput(2, scales) (1-D
//! float, one per dimension) and setInput(3, roi) (kTF_CROP_AND_RESIZE's region: 2*rank
//! normalized floats, starts then ends).
class IResizeLayer : public ILayer {
public:
    virtual void setOutputDimensions(const Dims& dims) noexcept = 0;
    virtual Dims getOutputDimensions() const noexcept = 0;
    virtual void setScales(const float* scales, int32_t nbScales) noexcept = 0;
    virtual int32_t getScales(int32_t size, float* scales) const noexcept = 0;
    virtual void setResizeMode(InterpolationMode mode) noexcept = 0;
    virtual InterpolationMode getResizeMode() const noexcept = 0;
    virtual void setCoordinateTransformation(ResizeCoordinateTransformation t) noexcept = 0;
    virtual ResizeCoordinateTransformation getCoordinateTransformation() const noexcept = 0;
    virtual void setNearestRounding(ResizeRoundMode mode) noexcept = 0;
    virtual ResizeRoundMode getNearestRounding() const noexcept = 0;
    virtual void setSelectorForSinglePixel(ResizeSelector selector) noexcept = 0;
    virtual ResizeSelector getSelectorForSinglePixel() const noexcept = 0;
    //! The cubic kernel's coefficient (default -0.75).
    virtual void setCubicCoeff(float a) noexcept = 0;
    virtual float getCubicCoeff() const noexcept = 0;
    //! Cubic: give samples outside the input weight 0 and renormalize (default false).
    virtual void setExcludeOutside(bool exclude) noexcept = 0;
    virtual bool getExcludeOutside() const noexcept = 0;
    //! kiln: linear/cubic downsampling widens the filter by 1/scale (ONNX antialias).
    virtual void setAntialias(bool antialias) noexcept = 0;
    virtual bool getAntialias() const noexcept = 0;
    //! kiln: the value of samples outside the input with kTF_CROP_AND_RESIZE (default 0).
    virtual void setExtrapolationValue(float value) noexcept = 0;
    virtual float getExtrapolationValue() const noexcept = 0;
};

class ISelectLayer : public ILayer {};

//! Layer, instance or group normalization: (x - mean) / sqrt(var + eps) * scale + bias,
//! statistics over `axes` (bitmask). With setNbGroups(g > 1) the channel
//! dimension is split into g groups (group normalization).
class INormalizationLayer : public ILayer {
public:
    virtual void setEpsilon(float eps) noexcept = 0;
    virtual float getEpsilon() const noexcept = 0;
    virtual void setAxes(uint32_t axesMask) noexcept = 0;
    virtual uint32_t getAxes() const noexcept = 0;
    virtual void setNbGroups(int64_t nbGroups) noexcept = 0;
    virtual int64_t getNbGroups() const noexcept = 0;
};

enum class FillOperation : int32_t {
    kLINSPACE = 0,        //!< y[i_0..i_k] = alpha + sum_d beta[d] * i_d
    kRANDOM_UNIFORM = 1,  //!< uniform in [alpha, beta)
    kRANDOM_NORMAL = 2,   //!< normal with mean alpha and standard deviation beta
};

//! A tensor generated from its indices. Optional tensor inputs replace the parameters:
//! setInput(0, shape) gives the dimensions (1-D int32/int64, values may be known only at
//! run time), setInput(1, alpha) a one-element start value, setInput(2, beta) the deltas
//! (one element, or one per output dimension).
class IFillLayer : public ILayer {
public:
    virtual void setDimensions(const Dims& dimensions) noexcept = 0;
    virtual Dims getDimensions() const noexcept = 0;
    virtual void setOperation(FillOperation op) noexcept = 0;
    virtual FillOperation getOperation() const noexcept = 0;
    virtual void setAlpha(double alpha) noexcept = 0;
    virtual double getAlpha() const noexcept = 0;
    //! The delta of every dimension (linspace), or the upper bound / deviation (random).
    virtual void setBeta(double beta) noexcept = 0;
    virtual double getBeta() const noexcept = 0;
    virtual void setToType(DataType toType) noexcept = 0;
    virtual DataType getToType() const noexcept = 0;
};

//! The coordinates of the non-zero elements of its input: int64 [rank, count], count
//! known only at run time (the output needs an IOutputAllocator).
class INonZeroLayer : public ILayer {};

enum class BoundingBoxFormat : int32_t {
    kCORNER_PAIRS = 0,  //!< two opposite corners, (y1, x1, y2, x2) or (x1, y1, x2, y2)
    kCENTER_SIZES = 1,  //!< (x center, y center, width, height)
};

//! Non-maximum suppression per batch item and class. Inputs: boxes [B, N, 4], scores
//! [B, C, N], maxOutputBoxesPerClass (int32/int64 scalar); setInput(3, iouThreshold) and
//! setInput(4, scoreThreshold) (float scalars) are optional. Boxes are taken by descending
//! score (lower index first on ties), dropped when their IoU with a kept box is above the
//! threshold (or their score not above the score threshold). Outputs: int32 [count, 3]
//! (batch, class, box) triples and the int32 count; count is known only at run time.
class INMSLayer : public ILayer {
public:
    virtual void setBoundingBoxFormat(BoundingBoxFormat fmt) noexcept = 0;
    virtual BoundingBoxFormat getBoundingBoxFormat() const noexcept = 0;
    //! Only the `limit` highest-scoring boxes of a class are considered (0: all).
    virtual void setTopKBoxLimit(int32_t limit) noexcept = 0;
    virtual int32_t getTopKBoxLimit() const noexcept = 0;
};

//! kiln: the distinct elements of its input (flattened), or its distinct slices along an
//! axis. Outputs: the unique items (ascending, or in order of first occurrence), int64 first
//! indices, int64 inverse indices and int64 counts; their sizes are known only at run time.
class IUniqueLayer : public ILayer {
public:
    //! Compares slices along `axis` instead of single elements.
    virtual void setAxis(int32_t axis) noexcept = 0;
    virtual int32_t getAxis() const noexcept = 0;  //!< -2^31 when flattening
    virtual void setSorted(bool sorted) noexcept = 0;
    virtual bool getSorted() const noexcept = 0;
};

class ILoop;

//! A layer on a loop's boundary.
class ILoopBoundaryLayer : public ILayer {
public:
    virtual ILoop* getLoop() const noexcept = 0;
};

//! A loop-carried value: input 0 is the initial value; setInput(1, next) gives the value
//! for the next iteration, computed in the loop body from this layer's output.
class IRecurrenceLayer : public ILoopBoundaryLayer {};

enum class LoopOutput : int32_t {
    kLAST_VALUE = 0,   //!< the value in the last iteration (a recurrence's final state)
    kCONCATENATE = 1,  //!< every iteration's value, stacked along a new axis
    kREVERSE = 2,      //!< the same, last iteration first
};

//! A value taken out of a loop. For kCONCATENATE/kREVERSE, setInput(1, length) may give
//! the number of iterations (an int32/int64 scalar), which makes the extent known earlier.
class ILoopOutputLayer : public ILoopBoundaryLayer {
public:
    virtual LoopOutput getLoopOutput() const noexcept = 0;
    //! Where the iteration axis goes in the output.
    virtual void setAxis(int32_t axis) noexcept = 0;
    virtual int32_t getAxis() const noexcept = 0;
};

enum class TripLimit : int32_t {
    kCOUNT = 0,  //!< an int32/int64 scalar from outside the loop: the number of iterations
    kWHILE = 1,  //!< a bool scalar computed in the body: the loop goes on while it is true
};

class ITripLimitLayer : public ILoopBoundaryLayer {
public:
    virtual TripLimit getTripLimit() const noexcept = 0;
};

//! One slice of a tensor per iteration, along an axis (from the end when reversed).
class IIteratorLayer : public ILoopBoundaryLayer {
public:
    virtual void setAxis(int32_t axis) noexcept = 0;
    virtual int32_t getAxis() const noexcept = 0;
    virtual void setReverse(bool reverse) noexcept = 0;
    virtual bool getReverse() const noexcept = 0;
};

//! A copy of the data with updates written at the indices (ONNX ScatterElements
//! / ScatterND). With duplicate indices and kNONE the last update wins.
class IScatterLayer : public ILayer {
public:
    virtual void setMode(ScatterMode mode) noexcept = 0;
    virtual ScatterMode getMode() const noexcept = 0;
    //! The axis the indices run along (kELEMENT); default 0.
    virtual void setAxis(int32_t axis) noexcept = 0;
    virtual int32_t getAxis() const noexcept = 0;
    virtual void setReduction(ScatterReduction reduction) noexcept = 0;
    virtual ScatterReduction getReduction() const noexcept = 0;
};

//! Running sum (or product) along the axis given by a scalar int32/int64 tensor.
//! Exclusive: element i combines the elements before it (the first is the
//! identity); reverse: runs from the end.
class ICumulativeLayer : public ILayer {
public:
    virtual bool setOperation(CumulativeOperation op) noexcept = 0;
    virtual CumulativeOperation getOperation() const noexcept = 0;
    virtual void setExclusive(bool exclusive) noexcept = 0;
    virtual bool getExclusive() const noexcept = 0;
    virtual void setReverse(bool reverse) noexcept = 0;
    virtual bool getReverse() const noexcept = 0;
};

//! A loop (TensorRT's ILoop): its body is every layer that depends on its recurrences and
//! iterators; it runs until a trip limit or an iterator ends it. Explicit-batch networks only.
class ILoop {
public:
    virtual IRecurrenceLayer* addRecurrence(ITensor& initialValue) noexcept = 0;
    virtual ITripLimitLayer* addTripLimit(ITensor& tensor, TripLimit limit) noexcept = 0;
    virtual IIteratorLayer* addIterator(ITensor& tensor, int32_t axis = 0, bool reverse = false) noexcept = 0;
    virtual ILoopOutputLayer* addLoopOutput(ITensor& tensor, LoopOutput outputKind, int32_t axis = 0) noexcept = 0;
    virtual void setName(const char* name) noexcept = 0;
    virtual const char* getName() const noexcept = 0;

protected:
    virtual ~ILoop() = default;
};

class IIfConditional;

//! A layer on a conditional's boundary.
class IIfConditionalBoundaryLayer : public ILayer {
public:
    virtual IIfConditional* getConditional() const noexcept = 0;
};
class IConditionLayer : public IIfConditionalBoundaryLayer {};
class IIfConditionalInputLayer : public IIfConditionalBoundaryLayer {};
class IIfConditionalOutputLayer : public IIfConditionalBoundaryLayer {};

//! An if-then-else (TensorRT's IIfConditional): each branch is the set of layers its
//! outputs depend on, back to the conditional's inputs (tensors from outside enter through
//! addInput; constants may be used directly). Only the branch the condition picks runs;
//! the branches may give outputs of different extents. Explicit-batch networks only.
class IIfConditional {
public:
    //! The condition: a bool scalar computed outside the conditional.
    virtual IConditionLayer* setCondition(ITensor& condition) noexcept = 0;
    virtual IIfConditionalOutputLayer* addOutput(ITensor& trueSubgraphOutput, ITensor& falseSubgraphOutput) noexcept = 0;
    virtual IIfConditionalInputLayer* addInput(ITensor& input) noexcept = 0;
    virtual void setName(const char* name) noexcept = 0;
    virtual const char* getName() const noexcept = 0;

protected:
    virtual ~IIfConditional() = default;
};

//! One-hot encoding: a new dim of extent `depth` (a scalar tensor; when its value is
//! known only at run time the extent is data-dependent) at `axis`, holding values[1]
//! at the index and values[0] elsewhere.
class IOneHotLayer : public ILayer {
public:
    virtual void setAxis(int32_t axis) noexcept = 0;
    virtual int32_t getAxis() const noexcept = 0;
};

//! Reverses the first sequenceLens[b] elements along the sequence axis, per batch entry b.
class IReverseSequenceLayer : public ILayer {
public:
    virtual void setBatchAxis(int32_t batchAxis) noexcept = 0;  //!< default 1
    virtual int32_t getBatchAxis() const noexcept = 0;
    virtual void setSequenceAxis(int32_t sequenceAxis) noexcept = 0;  //!< default 0
    virtual int32_t getSequenceAxis() const noexcept = 0;
};

//! Einstein summation ("ij,jk->ik"; "..." for broadcast dims; implicit output when no "->").
class IEinsumLayer : public ILayer {
public:
    virtual bool setEquation(const char* equation) noexcept = 0;
    virtual const char* getEquation() const noexcept = 0;
};

//! Determinant of each square matrix in the last two dims (kiln extension, ONNX Det).
class IDeterminantLayer : public ILayer {};
//! Samples the input at the positions of a grid (ONNX GridSample, PyTorch
//! grid_sample). Input [N, C, D1..Dr] (r = 1..3), grid [N, D1_out..Dr_out, r]
//! holding normalized coordinates in [-1, 1], innermost dimension first (x, y, z);
//! output [N, C, D1_out..Dr_out].
class IGridSampleLayer : public ILayer {
public:
    //! kNEAREST, kLINEAR (default; N-linear) or kCUBIC (Keys, A = -0.75).
    virtual void setInterpolationMode(InterpolationMode mode) noexcept = 0;
    virtual InterpolationMode getInterpolationMode() const noexcept = 0;
    //! true: -1 and 1 are the centers of the corner pixels; false (default): their outer edges.
    virtual void setAlignCorners(bool alignCorners) noexcept = 0;
    virtual bool getAlignCorners() const noexcept = 0;
    //! Positions outside the input: kFILL (default; zeros), kCLAMP (border
    //! values) or kREFLECT (reflected at the borders). False for any other mode.
    virtual bool setSampleMode(SampleMode mode) noexcept = 0;
    virtual SampleMode getSampleMode() const noexcept = 0;
};

//! The cell of an IRNNLayer (TensorRT's RNNOperation).
enum class RNNOperation : int32_t {
    kRELU,  //!< one gate: h = relu(W x + R h + Wb + Rb)
    kTANH,  //!< one gate with tanh
    kLSTM,  //!< gates i, o, f, c (ONNX order), cell state, optional peepholes
    kGRU,   //!< gates z, r, h (ONNX order)
};

enum class RNNDirection : int32_t {
    kUNIDIRECTION,  //!< first to last step
    kBIDIRECTION,   //!< both directions; outputs stack them (forward first)
    kREVERSE,       //!< kiln extension: last to first step only
};

//! kiln's recurrent layer: a whole RNN / GRU / LSTM sequence with ONNX's
//! semantics (TensorRT builds these from ILoop). D = 2 for kBIDIRECTION, else 1;
//! G = 1 (RNN), 3 (GRU) or 4 (LSTM); H the hidden size.
//! Inputs: 0 X [T, N, I] ([N, T, I] with setBatchFirst), 1 W [D, G*H, I],
//! 2 R [D, G*H, H], then the optional ones set below.
//! Outputs: 0 Y [T, D, N, H] ([N, T, D, H] batch first; zero past a sequence's
//! length), 1 the last hidden state [D, N, H] ([N, D, H]), 2 (LSTM) the last
//! cell state, shaped like output 1.
class IRNNLayer : public ILayer {
public:
    virtual RNNOperation getOperation() const noexcept = 0;
    virtual int32_t getHiddenSize() const noexcept = 0;
    virtual void setDirection(RNNDirection direction) noexcept = 0;
    virtual RNNDirection getDirection() const noexcept = 0;
    //! Input 3, [D, 2*G*H]: the input biases of every gate, then the recurrent ones.
    virtual void setBias(ITensor& bias) noexcept = 0;
    //! Input 4, [N] int32/int64: steps of each sequence (default T each).
    virtual void setSequenceLengths(ITensor& lengths) noexcept = 0;
    //! Input 5, shaped like output 1: the initial hidden state (default 0).
    virtual void setHiddenState(ITensor& hidden) noexcept = 0;
    //! Input 6 (LSTM), shaped like output 1: the initial cell state (default 0).
    virtual void setCellState(ITensor& cell) noexcept = 0;
    //! Input 7 (LSTM), [D, 3*H]: peephole weights of the gates i, o, f (default 0).
    virtual void setPeepholes(ITensor& peepholes) noexcept = 0;
    //! The activation functions of direction `direction` (0 forward, 1 backward):
    //! index 0 = f (every gate of RNN; the gates of GRU and LSTM), 1 = g (GRU and
    //! LSTM candidate), 2 = h (LSTM output). Defaults: RNN relu/tanh per the
    //! operation, GRU sigmoid/tanh, LSTM sigmoid/tanh/tanh. Accepts kRELU,
    //! kTANH, kSIGMOID, kLEAKY_RELU, kTHRESHOLDED_RELU, kSCALED_TANH,
    //! kHARD_SIGMOID, kELU, kSOFTSIGN and kSOFTPLUS; false otherwise.
    virtual bool setActivation(int32_t direction, int32_t index, ActivationType type, float alpha,
                               float beta) noexcept = 0;
    virtual ActivationType getActivation(int32_t direction, int32_t index) const noexcept = 0;
    //! Clips every activation's gate input to [-threshold, threshold]; 0 (default) disables.
    virtual void setClip(float threshold) noexcept = 0;
    virtual float getClip() const noexcept = 0;
    //! GRU: apply the reset gate after R_h h (true) or to h before it (false, default).
    virtual void setLinearBeforeReset(bool linearBeforeReset) noexcept = 0;
    virtual bool getLinearBeforeReset() const noexcept = 0;
    //! LSTM: couple the forget gate to the input gate (f = 1 - i).
    virtual void setInputForget(bool inputForget) noexcept = 0;
    virtual bool getInputForget() const noexcept = 0;
    //! Batch-major X, Y and states (ONNX layout 1); default false.
    virtual void setBatchFirst(bool batchFirst) noexcept = 0;
    virtual bool getBatchFirst() const noexcept = 0;
};

//! kiln extension: discrete Fourier transform along one axis (ONNX DFT).
//! Input [..., 1] (real) or [..., 2] (complex: real, imaginary); the last
//! dimension holds the parts, so the axis is any other one. Output: complex
//! [..., 2], except the one-sided inverse (a real signal, [..., 1]).
//! Optional inputs: 1 the transform length (int scalar tensor, overrides
//! setDFTLength), 2 the axis (int scalar tensor, overrides the axis).
class IDFTLayer : public ILayer {
public:
    virtual void setAxis(int32_t axis) noexcept = 0;
    virtual int32_t getAxis() const noexcept = 0;
    //! Inverse transform, scaled by 1/length (default false).
    virtual void setInverse(bool inverse) noexcept = 0;
    virtual bool getInverse() const noexcept = 0;
    //! Forward: return bins 0..length/2 of a real input only. Inverse: the input
    //! holds those bins and the output is the real signal (default false).
    virtual void setOnesided(bool onesided) noexcept = 0;
    virtual bool getOnesided() const noexcept = 0;
    //! The transform length: the input is cropped or zero-padded to it along the
    //! axis. 0 (default): the input's extent (2 * (extent - 1) for the one-sided inverse).
    virtual void setDFTLength(int64_t length) noexcept = 0;
    virtual int64_t getDFTLength() const noexcept = 0;
};

//! kiln extension: short-time Fourier transform (ONNX STFT). Input 0 signal
//! [N, L, 1 or 2], input 1 frame step (int scalar), optional input 2 window
//! [frame length] and input 3 frame length (int scalar; one of them is needed).
//! Output [N, frames, bins, 2], frames = (L - frame length) / step + 1.
class ISTFTLayer : public ILayer {
public:
    virtual void setWindow(ITensor& window) noexcept = 0;
    virtual void setFrameLength(ITensor& frameLength) noexcept = 0;
    //! Keep bins 0..frame length/2 (default true; real signals only).
    virtual void setOnesided(bool onesided) noexcept = 0;
    virtual bool getOnesided() const noexcept = 0;
};

enum class WindowType : int32_t {
    kHANN,      //!< 0.5 - 0.5 cos(2 pi n / D)
    kHAMMING,   //!< 25/46 - 21/46 cos(2 pi n / D)
    kBLACKMAN,  //!< 0.42 - 0.5 cos(2 pi n / D) + 0.08 cos(4 pi n / D)
};

//! kiln extension: a window function of `size` (int scalar input) values
//! (ONNX HannWindow, HammingWindow, BlackmanWindow); D = size when periodic
//! (default), size - 1 otherwise.
class IWindowLayer : public ILayer {
public:
    virtual void setWindowType(WindowType type) noexcept = 0;
    virtual WindowType getWindowType() const noexcept = 0;
    virtual void setPeriodic(bool periodic) noexcept = 0;
    virtual bool getPeriodic() const noexcept = 0;
    //! Element type of the output (default kFLOAT).
    virtual void setDataType(DataType type) noexcept = 0;
    virtual DataType getDataType() const noexcept = 0;
};

//! kiln extension: the mel filter bank matrix [dft length / 2 + 1, mel bins]
//! (ONNX MelWeightMatrix). Inputs: mel bins, DFT length, sample rate (int
//! scalars), lower and upper edge in hertz (float scalars).
class IMelWeightMatrixLayer : public ILayer {
public:
    //! Element type of the output (default kFLOAT).
    virtual void setDataType(DataType type) noexcept = 0;
    virtual DataType getDataType() const noexcept = 0;
};

//! kiln extension: RoI Align (Mask R-CNN; ONNX RoiAlign). Inputs: features
//! [N, C, H, W], regions [R, 4] (x1, y1, x2, y2 in input coordinates before
//! the spatial scale), batch indices [R] (int32/int64). Output [R, C, height, width].
class IRoiAlignLayer : public ILayer {
public:
    //! Output cells per region (default 1 x 1).
    virtual void setOutputSize(int64_t height, int64_t width) noexcept = 0;
    virtual int64_t getOutputHeight() const noexcept = 0;
    virtual int64_t getOutputWidth() const noexcept = 0;
    //! Sample points per cell and dimension; 0 (default): ceil(region / output size).
    virtual void setSamplingRatio(int64_t ratio) noexcept = 0;
    virtual int64_t getSamplingRatio() const noexcept = 0;
    //! Multiplies the region coordinates (default 1).
    virtual void setSpatialScale(float scale) noexcept = 0;
    virtual float getSpatialScale() const noexcept = 0;
    //! kAVERAGE (default) or kMAX over the samples of a cell.
    virtual bool setPoolingType(PoolingType type) noexcept = 0;
    virtual PoolingType getPoolingType() const noexcept = 0;
    //! true (default): shift coordinates by -0.5 pixel (ONNX half_pixel);
    //! false: no shift and regions at least 1 x 1 (output_half_pixel).
    virtual void setAligned(bool aligned) noexcept = 0;
    virtual bool getAligned() const noexcept = 0;
};

//! kiln extension: column blocks back to an image, overlaps summed (ONNX
//! Col2Im, the inverse layout of im2col). Input [N, C * prod(block), L] with L
//! the number of block positions; output [N, C, image...]. Optional inputs 1
//! (image shape) and 2 (block shape), int64 1-D tensors, override the dims
//! given at creation.
class ICol2ImLayer : public ILayer {
public:
    virtual void setStrideNd(const Dims& stride) noexcept = 0;
    virtual Dims getStrideNd() const noexcept = 0;
    virtual void setDilationNd(const Dims& dilation) noexcept = 0;
    virtual Dims getDilationNd() const noexcept = 0;
    virtual void setPrePadding(const Dims& padding) noexcept = 0;
    virtual Dims getPrePadding() const noexcept = 0;
    virtual void setPostPadding(const Dims& padding) noexcept = 0;
    virtual Dims getPostPadding() const noexcept = 0;
};

//! kiln extension: the partial inverse of max pooling (ONNX MaxUnpool). Input 0
//! values [N, C, S...], input 1 their int64 indices into the flattened output
//! (as IPoolingLayer::addIndicesOutput gives them); every other output element
//! is 0. Output spatial dims: (S - 1) * stride + window - pre - post padding,
//! unless setOutputShape or input 2 (int64 1-D, full rank) gives the shape.
class IMaxUnpoolLayer : public ILayer {
public:
    virtual void setStrideNd(const Dims& stride) noexcept = 0;
    virtual Dims getStrideNd() const noexcept = 0;
    virtual void setPrePadding(const Dims& padding) noexcept = 0;
    virtual Dims getPrePadding() const noexcept = 0;
    virtual void setPostPadding(const Dims& padding) noexcept = 0;
    virtual Dims getPostPadding() const noexcept = 0;
    //! The full output shape [N, C, S_out...]; nbDims 0 (default): computed.
    virtual void setOutputShape(const Dims& shape) noexcept = 0;
    virtual Dims getOutputShape() const noexcept = 0;
};

//! kiln extension: sampling grids from affine matrices (ONNX AffineGrid,
//! PyTorch affine_grid). theta [N, 2, 3] (2-D) or [N, 3, 4] (3-D); size, an
//! int64 tensor [N, C, H, W] or [N, C, D, H, W]. Output [N, H, W, 2] or
//! [N, D, H, W, 3], coordinates innermost dimension first (x, y, z).
class IAffineGridLayer : public ILayer {
public:
    //! true: -1 and 1 are the centers of the corner pixels; false (default): their outer edges.
    virtual void setAlignCorners(bool alignCorners) noexcept = 0;
    virtual bool getAlignCorners() const noexcept = 0;
};

//! kiln extension: deformable 2-D convolution (ONNX DeformConv). Inputs: X
//! [N, C, H, W], weights [M, C/group, kH, kW], offsets [N, 2 * offsetGroups *
//! kH * kW, oH, oW] ((dy, dx) per tap), optional bias [M] (input 3) and mask
//! [N, offsetGroups * kH * kW, oH, oW] (input 4). Output [N, M, oH, oW].
class IDeformConvolutionLayer : public ILayer {
public:
    virtual void setStrideNd(const Dims& stride) noexcept = 0;
    virtual Dims getStrideNd() const noexcept = 0;
    virtual void setPrePadding(const Dims& padding) noexcept = 0;
    virtual Dims getPrePadding() const noexcept = 0;
    virtual void setPostPadding(const Dims& padding) noexcept = 0;
    virtual Dims getPostPadding() const noexcept = 0;
    virtual void setDilationNd(const Dims& dilation) noexcept = 0;
    virtual Dims getDilationNd() const noexcept = 0;
    virtual void setNbGroups(int64_t groups) noexcept = 0;
    virtual int64_t getNbGroups() const noexcept = 0;
    virtual void setNbOffsetGroups(int64_t groups) noexcept = 0;
    virtual int64_t getNbOffsetGroups() const noexcept = 0;
    virtual void setBias(ITensor& bias) noexcept = 0;
    virtual void setMask(ITensor& mask) noexcept = 0;
};

enum class TfIdfMode : int32_t {
    kTF,     //!< n-gram counts
    kIDF,    //!< the weight of every n-gram present
    kTFIDF,  //!< counts times weights
};

//! kiln extension: n-gram counting over int32/int64 token sequences (ONNX
//! TfIdfVectorizer). Input [L] or [B, L]; output float [K] or [B, K], K the
//! largest n-gram index + 1.
class ITfIdfVectorizerLayer : public ILayer {
public:
    virtual void setMode(TfIdfMode mode) noexcept = 0;
    virtual TfIdfMode getMode() const noexcept = 0;
    //! n-gram lengths counted: min to max (1 <= min <= max).
    virtual void setGramLengths(int64_t minLength, int64_t maxLength) noexcept = 0;
    //! Largest number of tokens skipped between the items of an n-gram (default 0).
    virtual void setMaxSkipCount(int64_t maxSkip) noexcept = 0;
    //! The n-gram pool (ONNX pool_int64s, ngram_counts, ngram_indexes): `pool`
    //! holds the 1-grams, then the 2-grams, ..., flattened; `starts[i]` is the
    //! offset of the (i+1)-grams in `pool`; `indexes[j]` the output column of
    //! the j-th n-gram of the pool. False (with a log) when inconsistent.
    virtual bool setPool(const int64_t* pool, int64_t poolCount, const int64_t* starts, int64_t nbStarts,
                         const int64_t* indexes, int64_t nbIndexes) noexcept = 0;
    //! One weight per n-gram of the pool (kIDF, kTFIDF; default 1 each).
    virtual bool setWeights(const float* weights, int64_t count) noexcept = 0;
};

enum class PixelFormat : int32_t { kRGB, kBGR, kGRAYSCALE };

//! kiln extension: decodes an encoded image (ONNX ImageDecoder) held in a
//! 1-D uint8 tensor: JPEG, PNG, BMP or PNM (P1-P6). Output uint8 [H, W, 3]
//! (kRGB, kBGR) or [H, W, 1] (kGRAYSCALE); the shape is known only at run time.
class IImageDecoderLayer : public ILayer {
public:
    virtual void setPixelFormat(PixelFormat format) noexcept = 0;
    virtual PixelFormat getPixelFormat() const noexcept = 0;
};

//! How an interior node of an ITreeEnsembleLayer compares x[feature] with its split.
enum class TreeNodeMode : int32_t { kLEQ, kLT, kGTE, kGT, kEQ, kNEQ, kMEMBER };
enum class TreeAggregate : int32_t { kAVERAGE, kSUM, kMIN, kMAX };
enum class TreePostTransform : int32_t { kNONE, kSOFTMAX, kLOGISTIC, kSOFTMAX_ZERO, kPROBIT };

//! kiln extension: an ensemble of decision trees (ai.onnx.ml TreeEnsemble).
//! Input [N, F] (float types); output [N, targets]. Interior nodes and leaves
//! are given as parallel arrays; a node's true/false child is a leaf index
//! when the matching *IsLeaf flag is set, else a node index.
class ITreeEnsembleLayer : public ILayer {
public:
    //! `missingTracksTrue` may be null (a NaN feature then compares normally).
    virtual bool setNodes(int64_t count, const int64_t* featureIds, const TreeNodeMode* modes, const double* splits,
                          const int64_t* trueIds, const uint8_t* trueIsLeaf, const int64_t* falseIds,
                          const uint8_t* falseIsLeaf, const uint8_t* missingTracksTrue) noexcept = 0;
    virtual bool setLeaves(int64_t count, const int64_t* targetIds, const double* weights) noexcept = 0;
    //! One root node per tree (a root whose children are the same leaf is that leaf).
    virtual bool setTreeRoots(int64_t count, const int64_t* roots) noexcept = 0;
    //! The sets of the kMEMBER nodes, in node order, each terminated by a NaN.
    virtual bool setMembershipValues(int64_t count, const double* values) noexcept = 0;
    virtual void setAggregate(TreeAggregate aggregate) noexcept = 0;  //!< default kSUM
    virtual TreeAggregate getAggregate() const noexcept = 0;
    virtual void setPostTransform(TreePostTransform transform) noexcept = 0;  //!< default kNONE
    virtual TreePostTransform getPostTransform() const noexcept = 0;
};

//! The network: created by IBuilder, filled by the add* calls or a parser.
class INetworkDefinition {
public:
    virtual ~INetworkDefinition() = default;

    //! Adds a network input. In an implicit-batch network (createNetwork())
    //! `dims` excludes the batch dimension.
    virtual ITensor* addInput(const char* name, DataType type, const Dims& dims) noexcept = 0;
    virtual void markOutput(ITensor& tensor) noexcept = 0;
    virtual void unmarkOutput(ITensor& tensor) noexcept = 0;

    virtual IConvolutionLayer* addConvolution(ITensor& input, int32_t nbOutputMaps, DimsHW kernelSize,
                                              Weights kernelWeights, Weights biasWeights) noexcept = 0;
    virtual IConvolutionLayer* addConvolutionNd(ITensor& input, int64_t nbOutputMaps, const Dims& kernelSize,
                                                Weights kernelWeights, Weights biasWeights) noexcept = 0;
    virtual IDeconvolutionLayer* addDeconvolution(ITensor& input, int32_t nbOutputMaps, DimsHW kernelSize,
                                                  Weights kernelWeights, Weights biasWeights) noexcept = 0;
    virtual IDeconvolutionLayer* addDeconvolutionNd(ITensor& input, int64_t nbOutputMaps, const Dims& kernelSize,
                                                    Weights kernelWeights, Weights biasWeights) noexcept = 0;
    //! TensorRT's FC layer: flattens the last three dimensions (C, H, W) and
    //! produces [..., nbOutputs, 1, 1]. Kernel weights are [nbOutputs, C*H*W].
    virtual IFullyConnectedLayer* addFullyConnected(ITensor& input, int32_t nbOutputs, Weights kernelWeights,
                                                    Weights biasWeights) noexcept = 0;
    virtual IActivationLayer* addActivation(ITensor& input, ActivationType type) noexcept = 0;
    virtual IPoolingLayer* addPooling(ITensor& input, PoolingType type, DimsHW windowSize) noexcept = 0;
    virtual IPoolingLayer* addPoolingNd(ITensor& input, PoolingType type, const Dims& windowSize) noexcept = 0;
    virtual ILRNLayer* addLRN(ITensor& input, int64_t window, float alpha, float beta, float k) noexcept = 0;
    virtual IScaleLayer* addScale(ITensor& input, ScaleMode mode, Weights shift, Weights scale,
                                  Weights power) noexcept = 0;
    virtual IScaleLayer* addScaleNd(ITensor& input, ScaleMode mode, Weights shift, Weights scale, Weights power,
                                    int32_t channelAxis) noexcept = 0;
    //! Softmax along the channel axis by default (see ISoftMaxLayer::setAxes).
    virtual ISoftMaxLayer* addSoftMax(ITensor& input) noexcept = 0;
    virtual IConcatenationLayer* addConcatenation(ITensor* const* inputs, int32_t nbInputs) noexcept = 0;
    virtual IElementWiseLayer* addElementWise(ITensor& input1, ITensor& input2,
                                              ElementWiseOperation op) noexcept = 0;
    virtual IUnaryLayer* addUnary(ITensor& input, UnaryOperation operation) noexcept = 0;
    virtual IPaddingLayer* addPaddingNd(ITensor& input, const Dims& prePadding, const Dims& postPadding) noexcept = 0;
    virtual IShuffleLayer* addShuffle(ITensor& input) noexcept = 0;
    virtual IReduceLayer* addReduce(ITensor& input, ReduceOperation operation, uint32_t reduceAxes,
                                    bool keepDimensions) noexcept = 0;
    virtual ITopKLayer* addTopK(ITensor& input, TopKOperation op, int32_t k, uint32_t reduceAxes) noexcept = 0;
    virtual IGatherLayer* addGather(ITensor& data, ITensor& indices, int32_t axis) noexcept = 0;
    virtual IGatherLayer* addGatherV2(ITensor& data, ITensor& indices, GatherMode mode) noexcept = 0;
    virtual IMatrixMultiplyLayer* addMatrixMultiply(ITensor& input0, MatrixOperation op0, ITensor& input1,
                                                    MatrixOperation op1) noexcept = 0;
    virtual IConstantLayer* addConstant(const Dims& dimensions, Weights weights) noexcept = 0;
    virtual IIdentityLayer* addIdentity(ITensor& input) noexcept = 0;
    virtual ICastLayer* addCast(ITensor& input, DataType toType) noexcept = 0;
    virtual ISliceLayer* addSlice(ITensor& input, const Dims& start, const Dims& size,
                                  const Dims& stride) noexcept = 0;
    virtual IShapeLayer* addShape(ITensor& input) noexcept = 0;
    virtual IParametricReLULayer* addParametricReLU(ITensor& input, ITensor& slope) noexcept = 0;
    virtual IResizeLayer* addResize(ITensor& input) noexcept = 0;
    virtual ISelectLayer* addSelect(ITensor& condition, ITensor& thenInput, ITensor& elseInput) noexcept = 0;
    //! Normalization over `axesMask`. Layer norm: the last axes with scale/bias
    //! broadcastable to them; instance norm: the spatial axes, scale/bias [C]
    //! (or [1, C, 1, ...]); group norm: also setNbGroups().
    virtual INormalizationLayer* addNormalization(ITensor& input, ITensor& scale, ITensor& bias,
                                                  uint32_t axesMask) noexcept = 0;
    //! Samples `input` at the normalized positions of `grid` (see IGridSampleLayer).
    virtual IGridSampleLayer* addGridSample(ITensor& input, ITensor& grid) noexcept = 0;
    //! A recurrent layer over the whole sequence `input` (see IRNNLayer);
    //! explicit-batch networks only.
    virtual IRNNLayer* addRNN(ITensor& input, RNNOperation op, int32_t hiddenSize, ITensor& weights,
                              ITensor& recurrentWeights) noexcept = 0;
    //! Fourier transform of `input` along `axis` (see IDFTLayer).
    virtual IDFTLayer* addDFT(ITensor& input, int32_t axis) noexcept = 0;
    //! Short-time Fourier transform (see ISTFTLayer).
    virtual ISTFTLayer* addSTFT(ITensor& signal, ITensor& frameStep) noexcept = 0;
    //! A window of `size` values (see IWindowLayer).
    virtual IWindowLayer* addWindow(ITensor& size, WindowType type) noexcept = 0;
    //! A mel filter bank (see IMelWeightMatrixLayer).
    virtual IMelWeightMatrixLayer* addMelWeightMatrix(ITensor& numMelBins, ITensor& dftLength, ITensor& sampleRate,
                                                      ITensor& lowerEdgeHertz, ITensor& upperEdgeHertz) noexcept = 0;
    //! RoI Align over `input` (see IRoiAlignLayer).
    virtual IRoiAlignLayer* addRoiAlign(ITensor& input, ITensor& rois, ITensor& batchIndices) noexcept = 0;
    //! Col2Im of `input` into images of `imageShape` from blocks of `blockShape`
    //! (see ICol2ImLayer; both may be empty when inputs 1 and 2 are set).
    virtual ICol2ImLayer* addCol2Im(ITensor& input, const Dims& imageShape, const Dims& blockShape) noexcept = 0;
    //! MaxUnpool of `input` at `indices` with window `windowSize` (see IMaxUnpoolLayer).
    virtual IMaxUnpoolLayer* addMaxUnpool(ITensor& input, ITensor& indices, const Dims& windowSize) noexcept = 0;
    //! Sampling grids from `theta` for outputs of `size` (see IAffineGridLayer).
    virtual IAffineGridLayer* addAffineGrid(ITensor& theta, ITensor& size) noexcept = 0;
    //! Deformable convolution (see IDeformConvolutionLayer).
    virtual IDeformConvolutionLayer* addDeformConvolution(ITensor& input, ITensor& weights,
                                                          ITensor& offsets) noexcept = 0;
    //! n-gram vectorizer (see ITfIdfVectorizerLayer).
    virtual ITfIdfVectorizerLayer* addTfIdfVectorizer(ITensor& input) noexcept = 0;
    //! Image decoder (see IImageDecoderLayer).
    virtual IImageDecoderLayer* addImageDecoder(ITensor& encoded) noexcept = 0;
    //! Decision-tree ensemble with `nbTargets` outputs per row (see ITreeEnsembleLayer).
    virtual ITreeEnsembleLayer* addTreeEnsemble(ITensor& input, int32_t nbTargets) noexcept = 0;

    //! A generated tensor of `dimensions` (or of the shape given by setInput(0, ...));
    //! explicit-batch networks only.
    virtual IFillLayer* addFill(const Dims& dimensions, FillOperation op, DataType outputType) noexcept = 0;
    virtual INonZeroLayer* addNonZero(ITensor& input) noexcept = 0;
    virtual INMSLayer* addNMS(ITensor& boxes, ITensor& scores, ITensor& maxOutputBoxesPerClass) noexcept = 0;
    //! kiln: see IUniqueLayer.
    virtual IUniqueLayer* addUnique(ITensor& input) noexcept = 0;
    //! A loop / conditional owned by the network (see ILoop, IIfConditional).
    virtual ILoop* addLoop() noexcept = 0;
    virtual IIfConditional* addIfConditional() noexcept = 0;
    //! Scatter (explicit-batch networks only): data and updates share a dtype;
    //! indices are int32/int64.
    virtual IScatterLayer* addScatter(ITensor& data, ITensor& indices, ITensor& updates,
                                      ScatterMode mode) noexcept = 0;
    //! Cumulative sum/product along `axis` (a scalar int32/int64 tensor; explicit batch only).
    virtual ICumulativeLayer* addCumulative(ITensor& input, ITensor& axis, CumulativeOperation operation,
                                            bool exclusive, bool reverse) noexcept = 0;
    //! One-hot of `indices`; `values` is [off, on]; `depth` a scalar (explicit batch only).
    virtual IOneHotLayer* addOneHot(ITensor& indices, ITensor& values, ITensor& depth, int32_t axis) noexcept = 0;
    //! Sequence reversal; sequenceLens is int32/int64 [batch] (explicit batch only).
    virtual IReverseSequenceLayer* addReverseSequence(ITensor& input, ITensor& sequenceLens) noexcept = 0;
    //! Einstein summation over `nbInputs` tensors of one dtype (explicit batch only).
    virtual IEinsumLayer* addEinsum(ITensor* const* inputs, int32_t nbInputs, const char* equation) noexcept = 0;
    //! Determinants of a [..., M, M] float tensor, giving [...] (kiln extension; explicit batch only).
    virtual IDeterminantLayer* addDeterminant(ITensor& input) noexcept = 0;

    virtual int32_t getNbLayers() const noexcept = 0;
    virtual ILayer* getLayer(int32_t index) const noexcept = 0;
    virtual int32_t getNbInputs() const noexcept = 0;
    virtual ITensor* getInput(int32_t index) const noexcept = 0;
    virtual int32_t getNbOutputs() const noexcept = 0;
    virtual ITensor* getOutput(int32_t index) const noexcept = 0;
    //! True for networks from createNetwork() (the classic implicit-batch mode).
    virtual bool hasImplicitBatchDimension() const noexcept = 0;
    virtual void setName(const char* name) noexcept = 0;
    virtual const char* getName() const noexcept = 0;
};

}  // namespace kiln
