#include <cudnn.h>

#include "kernels/kernels.h"
#include "library_tactics.h"
#include "plugin_tactic.h"
#include "tactic.h"

namespace kiln::cuda {

namespace {

class FunctionKernel final : public Kernel {
public:
    explicit FunctionKernel(LaunchFn fn) : fn_(fn) {}
    Status enqueue(LaunchArgs& args) const override { return fn_(args); }

private:
    LaunchFn fn_;
};

template <LaunchFn Fn>
Status createFunction(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&,
                      std::unique_ptr<Kernel>& k) {
    k = makeFunctionKernel(Fn);
    return Status::Ok();
}

// The project's own kernel for an op: always a candidate where it supports the node.
#define OWN(op, fn) \
    Tactic { "kiln", op, &kernels::fn##Supports, nullptr, &createFunction<&kernels::fn> }
#define OWN_WS(op, fn, ws) \
    Tactic { "kiln", op, &kernels::fn##Supports, &kernels::ws, &createFunction<&kernels::fn> }
// Depthwise 2-D convolutions (kernels/depthwise.cu), listed before the generic own kernel.
#define DEPTHWISE(op)                                                          \
    Tactic {                                                                   \
        "kiln_depthwise", op, &kernels::depthwiseConvolutionSupports, nullptr, \
            &createFunction<&kernels::depthwiseConvolution>                    \
    }
// Channels-first convolutions of at most 64 terms per output (kernels/conv_small_k.cu), also before it.
#define SMALL_K_CONV(op)                                                       \
    Tactic {                                                                   \
        "kiln_conv_small_k", op, &kernels::smallKConvolutionSupports, nullptr, \
            &createFunction<&kernels::smallKConvolution>                       \
    }
#define CUDNN_CONV(name, algo) \
    Tactic { name, "Convolution", &lib::convSupports<algo>, &lib::convWorkspace<algo>, &lib::createConv<algo> }
#define CUDNN_FUSED(name, algo)                                                                  \
    Tactic {                                                                                     \
        name, "FusedConvolution", &lib::fusedConvSupports<algo>, &lib::fusedConvWorkspace<algo>, \
            &lib::createFusedConv<algo>                                                          \
    }
#define CUDNN_DECONV(name, algo) \
    Tactic { name, "Deconvolution", &lib::deconvSupports<algo>, &lib::deconvWorkspace<algo>, &lib::createDeconv<algo> }

}  // namespace

std::unique_ptr<Kernel> makeFunctionKernel(LaunchFn fn) { return std::make_unique<FunctionKernel>(fn); }

const std::vector<Tactic>& cudaTactics() {
    // Order matters only for ties in timing and at optimization level 0 (no
    // timing), which takes the first supported tactic: the project's own
    // kernels come first, the library tactics after them.
    static const std::vector<Tactic> table = {
        OWN("ElementWise", elementwise),
        OWN("Activation", activation),
        OWN("Unary", unary),
        OWN("Cast", cast),
        OWN("Softmax", softmax),
        OWN("FusedAttention", fusedAttention),
        OWN("Reduce", reduce),
        OWN_WS("Shuffle", shuffle, shuffleWorkspace),
        OWN("Identity", identity),
        OWN("Shape", shape),
        OWN("Concat", concat),
        OWN("Slice", slice),
        OWN("Pad", pad),
        OWN("MatMul", matmul),
        OWN("FullyConnected", fullyConnected),
        DEPTHWISE("Convolution"),
        DEPTHWISE("FusedConvolution"),
        SMALL_K_CONV("Convolution"),
        SMALL_K_CONV("FusedConvolution"),
        OWN("Convolution", convolution),
        OWN("Deconvolution", deconvolution),
        OWN("Pooling", pooling),
        OWN("Select", select),
        OWN("PRelu", prelu),
        OWN("Gather", gather),
        OWN("Scale", scale),
        OWN("Normalization", normalization),
        OWN("TopK", topk),
        OWN("LRN", lrn),
        OWN("Resize", resize),
        OWN("FusedConvolution", fusedConvolution),
        OWN("Quantize", quantize),
        OWN("Dequantize", dequantize),
        OWN("BitCast", bitcast),
        OWN("Fill", fill),
        OWN("OneHot", onehot),
        OWN("Cumulative", cumulative),
        OWN("ReverseSequence", reverseSequence),
        OWN_WS("Scatter", scatter, scatterWorkspace),
        OWN_WS("MaxUnpool", maxUnpool, maxUnpoolWorkspace),
        OWN("Col2Im", col2im),
        OWN_WS("Det", det, detWorkspace),
        OWN("Einsum", einsum),
        Tactic{"cublaslt", "MatMul", &lib::gemmMatMulSupports, &lib::gemmWorkspace, &lib::createGemmMatMul},
        Tactic{"cublaslt", "FullyConnected", &lib::gemmFcSupports, &lib::gemmWorkspace, &lib::createGemmFc},
        Tactic{"cublaslt_1x1", "Convolution", &lib::conv1x1Supports, &lib::conv1x1Workspace, &lib::createConv1x1},
        Tactic{"cublaslt_1x1", "FusedConvolution", &lib::conv1x1Supports, &lib::conv1x1Workspace, &lib::createConv1x1},
        CUDNN_CONV("cudnn_implicit_gemm", CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM),
        CUDNN_CONV("cudnn_implicit_precomp_gemm", CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM),
        CUDNN_CONV("cudnn_gemm", CUDNN_CONVOLUTION_FWD_ALGO_GEMM),
        CUDNN_CONV("cudnn_fft", CUDNN_CONVOLUTION_FWD_ALGO_FFT),
        CUDNN_CONV("cudnn_fft_tiling", CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING),
        CUDNN_CONV("cudnn_winograd", CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD),
        CUDNN_CONV("cudnn_winograd_nonfused", CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED),
        CUDNN_DECONV("cudnn_algo1", CUDNN_CONVOLUTION_BWD_DATA_ALGO_1),
        CUDNN_DECONV("cudnn_fft_tiling", CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING),
        CUDNN_DECONV("cudnn_winograd_nonfused", CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED),
        Tactic{"cudnn", "Pooling", &lib::poolSupports, nullptr, &lib::createPool},
        CUDNN_FUSED("cudnn_implicit_gemm", CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM),
        CUDNN_FUSED("cudnn_implicit_precomp_gemm", CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM),
        CUDNN_FUSED("cudnn_gemm", CUDNN_CONVOLUTION_FWD_ALGO_GEMM),
        CUDNN_FUSED("cudnn_fft", CUDNN_CONVOLUTION_FWD_ALGO_FFT),
        CUDNN_FUSED("cudnn_fft_tiling", CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING),
        CUDNN_FUSED("cudnn_winograd", CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD),
        CUDNN_FUSED("cudnn_winograd_nonfused", CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED),
        Tactic{"plugin", "Plugin", &pluginSupports, &pluginWorkspace, &createPluginKernel},
        OWN("GridSample", gridSample),
        OWN("AffineGrid", affineGrid),
        OWN("RoiAlign", roiAlign),
        OWN("DeformConv", deformConv),
        OWN_WS("RNN", rnn, rnnWorkspace),
        OWN_WS("DFT", dft, dftWorkspace),
        OWN_WS("STFT", stft, stftWorkspace),
        OWN("Window", window),
        Tactic{"kiln", "MelWeightMatrix", &kernels::melWeightMatrixSupports, nullptr, &kernels::createMelWeightMatrix},
        Tactic{"kiln", "TfIdfVectorizer", &kernels::tfidfVectorizerSupports, nullptr, &kernels::createTfidfVectorizer},
        Tactic{"kiln", "TreeEnsemble", &kernels::treeEnsembleSupports, &kernels::treeEnsembleWorkspace,
               &kernels::createTreeEnsemble},
        OWN_WS("NonZero", nonzero, nonzeroWorkspace),
        OWN_WS("Unique", unique, uniqueWorkspace),
        OWN_WS("NMS", nms, nmsWorkspace),
    };
    return table;
}

const Tactic* findCudaTactic(std::string_view op, std::string_view name) {
    for (const auto& t : cudaTactics())
        if (t.op == op && t.name == name) return &t;
    return nullptr;
}

}  // namespace kiln::cuda
