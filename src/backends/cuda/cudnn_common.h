// cuDNN descriptor holders and the tensor/filter/convolution descriptors of
// kiln's NCHW (or NCDHW) tensors, or their channels-last forms (NHWC);
// 1-D spatial problems are lifted to 2-D.
#pragma once
#include <cudnn.h>

#include <vector>

#include "cuda_check.h"
#include "tactic.h"

namespace kiln::cuda::lib {

template <class T, cudnnStatus_t (*Destroy)(T)>
struct CudnnHandle {
    T h = nullptr;
    CudnnHandle() = default;
    CudnnHandle(const CudnnHandle&) = delete;
    CudnnHandle& operator=(const CudnnHandle&) = delete;
    ~CudnnHandle() {
        if (h) Destroy(h);
    }
};
using TensorDesc = CudnnHandle<cudnnTensorDescriptor_t, cudnnDestroyTensorDescriptor>;
using FilterDesc = CudnnHandle<cudnnFilterDescriptor_t, cudnnDestroyFilterDescriptor>;
using ConvDesc = CudnnHandle<cudnnConvolutionDescriptor_t, cudnnDestroyConvolutionDescriptor>;
using PoolDesc = CudnnHandle<cudnnPoolingDescriptor_t, cudnnDestroyPoolingDescriptor>;

inline bool cudnnType(ir::DType t, cudnnDataType_t& dt) {
    switch (t) {
        case ir::DType::kF32:
            dt = CUDNN_DATA_FLOAT;
            return true;
        case ir::DType::kF16:
            dt = CUDNN_DATA_HALF;
            return true;
        case ir::DType::kBF16:
            dt = CUDNN_DATA_BFLOAT16;
            return true;
        default:
            return false;
    }
}

// Dims with a spatial rank of at least 2 (a 1-D problem gets a leading H = 1).
inline std::vector<int> lifted(const ir::Shape& s) {
    std::vector<int> d;
    for (size_t i = 0; i < s.size(); ++i) {
        if (i == 2 && s.size() == 3) d.push_back(1);
        d.push_back(int(s[i]));
    }
    return d;
}

// `s` is the channels-first shape; `channelsLast` stores it as [N, S.., C].
inline Status makeTensorDesc(const ir::Shape& s, cudnnDataType_t dt, TensorDesc& d, bool channelsLast = false) {
    const std::vector<int> dims = lifted(s);
    std::vector<int> strides(dims.size());
    int st = 1;
    if (channelsLast && dims.size() >= 3) {  // C innermost, then the spatial dims, then N
        strides[1] = 1;
        st = std::max(dims[1], 1);
        for (size_t i = dims.size(); i-- > 2;) {
            strides[i] = st;
            st *= std::max(dims[i], 1);
        }
        strides[0] = st;
    } else {
        for (size_t i = dims.size(); i-- > 0;) {
            strides[i] = st;
            st *= std::max(dims[i], 1);
        }
    }
    KILN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d.h));
    KILN_CUDNN_CHECK(cudnnSetTensorNdDescriptor(d.h, dt, int(dims.size()), dims.data(), strides.data()));
    return Status::Ok();
}

// [1, C, 1, ...] for a per-channel bias added to a tensor of rank `rank` (lifted).
inline Status makeBiasDesc(int64_t channels, size_t rank, cudnnDataType_t dt, TensorDesc& d) {
    ir::Shape s(rank, 1);
    s[1] = channels;
    return makeTensorDesc(s, dt, d);
}

// `w` is the channels-first [M, C/g, K..] shape; `channelsLast` stores it as [M, K.., C/g].
inline Status makeFilterDesc(const ir::Shape& w, cudnnDataType_t dt, FilterDesc& d, bool channelsLast = false) {
    const std::vector<int> dims = lifted(w);
    KILN_CUDNN_CHECK(cudnnCreateFilterDescriptor(&d.h));
    KILN_CUDNN_CHECK(cudnnSetFilterNdDescriptor(d.h, dt, channelsLast ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW,
                                                int(dims.size()), dims.data()));
    return Status::Ok();
}

}  // namespace kiln::cuda::lib
