// Col2Im on CUDA (backends/cpu/ref/col2im.cpp): out[n, c, pos] = the sum of
// the column entries [n, c * K + kernel offset, block] whose tap lands on
// pos, pos_i = block_i * stride_i - pad_i + offset_i * dilation_i. One thread
// per output element gathers its taps in kernel-offset order and sums in
// double, the CPU's terms in the CPU's order, so the result is the CPU's bit
// for bit. Image and block shapes given as inputs are read on the host at
// enqueue (DeviceTensor::hostData: constants, or values the runtime has there).
#include "device_common.cuh"
#include "dtype_convert.cuh"
#include "ir/ops/col2im.h"
#include "kernels.h"

namespace kiln::cuda::kernels {

namespace {

using namespace dev;
using ir::DType;

struct Col2ImArgs {
    const void* x;
    void* y;
    DType t;
    int k;  // spatial dims
    int64_t total, K, L, img, C;
    int64_t image[kMaxDims], block[kMaxDims], blocks[kMaxDims], strides[kMaxDims], dilations[kMaxDims], pads[kMaxDims];
};

__global__ void col2imKernel(Col2ImArgs a) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t f = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; f < a.total; f += stride) {
        const int64_t nc = f / a.img;
        int64_t pos[kMaxDims];
        for (int64_t i = a.k - 1, r = f % a.img; i >= 0; --i) {
            pos[i] = r % a.image[i];
            r /= a.image[i];
        }
        double acc = 0.0;
        for (int64_t kk = 0; kk < a.K; ++kk) {
            int64_t l = 0;
            bool inside = true;
            for (int64_t i = a.k - 1, r = kk, scale = 1; i >= 0 && inside; --i) {
                const int64_t off = r % a.block[i];
                r /= a.block[i];
                const int64_t t = pos[i] + a.pads[i] - off * a.dilations[i];  // = block index * stride
                if (t < 0 || t % a.strides[i] != 0 || t / a.strides[i] >= a.blocks[i]) {
                    inside = false;
                    break;
                }
                l += (t / a.strides[i]) * scale;
                scale *= a.blocks[i];
            }
            if (inside) acc = __dadd_rn(acc, conv::loadAsDouble(a.x, a.t, (nc * a.K + kk) * a.L + l));
        }
        conv::storeFromDouble(a.y, a.t, f, acc);
    }
}

}  // namespace

bool col2imSupports(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                    const std::vector<ir::TensorDesc>& out) {
    if (in.empty() || out.size() != 1 || out[0].dtype != in[0].dtype || in[0].shape.size() != 3) return false;
    // image_shape / block_shape: 1-D int32/int64 values the host has at run time. Their
    // values are not checked here (read-back ones are stand-in zeros at build time).
    int64_t k = -1;
    for (size_t i = 1; i < 3; ++i) {
        int64_t len = int64_t(node.attrs.getInts(i == 1 ? "image_shape" : "block_shape").size());
        if (node.hasInput(i)) {
            if (i >= in.size()) return false;
            const ir::TensorDesc& t = in[i];
            if (!t.data || (t.dtype != DType::kI64 && t.dtype != DType::kI32) || t.shape.size() != 1) return false;
            len = t.shape[0];
        }
        if (len < 1 || len > ir::kMaxRank - 2 || (k >= 0 && len != k)) return false;
        k = len;
    }
    return true;
}

Status col2im(LaunchArgs& args) {
    ir::Col2ImParams p;
    KILN_RETURN_IF_ERROR(ir::resolveCol2Im(args.node, hostDescs(args.inputs), p).withContext("Col2Im: "));
    const DeviceTensor& x = args.inputs[0];
    DeviceTensor& y = args.outputs[0];
    if (y.shape != p.outShape) return Status::Error("Col2Im: output shape does not match");
    if (p.image.size() > size_t(kMaxDims)) return Status::Error("Col2Im: more than 8 spatial dims");
    Col2ImArgs a{};
    a.x = x.data;
    a.y = y.data;
    a.t = y.dtype;
    a.k = int(p.image.size());
    a.K = a.L = a.img = 1;
    for (int i = 0; i < a.k; ++i) {
        const size_t u = size_t(i);
        a.image[i] = p.image[u];
        a.block[i] = p.block[u];
        a.blocks[i] = p.blocks[u];
        a.strides[i] = p.strides[u];
        a.dilations[i] = p.dilations[u];
        a.pads[i] = p.padsBegin[u];
        a.K *= p.block[u];
        a.L *= p.blocks[u];
        a.img *= p.image[u];
    }
    a.C = p.channels;
    a.total = y.numel();
    if (a.total <= 0) return Status::Ok();
    col2imKernel<<<gridFor(a.total), kBlock, 0, args.stream>>>(a);
    KILN_CUDA_CHECK_LAUNCH();
    return Status::Ok();
}

}  // namespace kiln::cuda::kernels
