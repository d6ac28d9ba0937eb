#include "kernel.h"
#include "plugin_tactic.h"
#include "ref/ref_kernels.h"
#ifdef KILN_HAVE_ONEDNN
#include "onednn/onednn_tactics.h"
#endif

namespace kiln::cpu {

namespace {

class RefKernel final : public Kernel {
public:
    explicit RefKernel(RefFn fn) : fn_(fn) {}
    Status run(KernelArgs& args) const override { return fn_(args); }

private:
    RefFn fn_;
};

template <RefFn Fn>
Status createRef(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&,
                 std::unique_ptr<Kernel>& k) {
    k = makeRefKernel(Fn);
    return Status::Ok();
}

#define REF(op, fn) \
    Tactic { "ref", op, &ref::fn##Supports, nullptr, &createRef<&ref::fn> }

}  // namespace

std::unique_ptr<Kernel> makeRefKernel(RefFn fn) { return std::make_unique<RefKernel>(fn); }

const std::vector<Tactic>& cpuTactics() {
    // Order matters only for ties in timing: earlier entries win.
    static const std::vector<Tactic> table = {
        REF("Convolution", convolution),
        REF("Deconvolution", deconvolution),
        REF("Pooling", pooling),
        REF("LRN", lrn),
        REF("MatMul", matmul),
        REF("FullyConnected", fullyConnected),
        REF("ElementWise", elementwise),
        REF("Unary", unary),
        REF("Activation", activation),
        REF("PRelu", prelu),
        REF("Select", select),
        REF("Cast", cast),
        REF("Scale", scale),
        REF("Softmax", softmax),
        REF("Reduce", reduce),
        REF("Normalization", normalization),
        REF("TopK", topk),
        REF("Concat", concat),
        REF("Shuffle", shuffle),
        REF("Gather", gather),
        REF("Slice", slice),
        REF("Pad", pad),
        REF("Resize", resize),
        REF("Shape", shape),
        REF("Identity", identity),
        REF("Fill", fill),
        REF("NonZero", nonzero),
        REF("Unique", unique),
        REF("NMS", nms),
        REF("IfCondition", ifPass),
        REF("IfInput", ifPass),
        REF("IfOutput", ifOutput),
        REF("Quantize", quantize),
        REF("Dequantize", dequantize),
        REF("BitCast", bitcast),
        REF("FusedConvolution", fusedConvolution),
        REF("FusedAttention", fusedAttention),
        REF("Scatter", scatter),
        REF("Cumulative", cumulative),
        REF("OneHot", onehot),
        REF("ReverseSequence", reverseSequence),
        REF("Einsum", einsum),
        REF("Det", det),
        REF("GridSample", gridSample),
        REF("RNN", rnn),
        REF("DFT", dft),
        REF("STFT", stft),
        REF("Window", window),
        REF("MelWeightMatrix", melWeightMatrix),
        REF("RoiAlign", roiAlign),
        REF("Col2Im", col2im),
        REF("MaxUnpool", maxUnpool),
        REF("AffineGrid", affineGrid),
        REF("DeformConv", deformConv),
        REF("TfIdfVectorizer", tfidfVectorizer),
        REF("ImageDecoder", imageDecoder),
        REF("TreeEnsemble", treeEnsemble),
        Tactic{"plugin", "Plugin", &pluginSupports, &pluginWorkspace, &createPluginKernel},
#ifdef KILN_HAVE_ONEDNN
        // After every reference entry: optimization level 0 (no timing) takes
        // the first supported tactic, which keeps it on the reference kernels.
        KILN_ONEDNN_TACTIC("Convolution", convolution),
        KILN_ONEDNN_TACTIC("Deconvolution", deconvolution),
        KILN_ONEDNN_TACTIC("Pooling", pooling),
        KILN_ONEDNN_TACTIC("MatMul", matmul),
        KILN_ONEDNN_TACTIC("FullyConnected", fullyConnected),
#endif
    };
    return table;
}

const Tactic* findCpuTactic(std::string_view op, std::string_view name) {
    for (const auto& t : cpuTactics())
        if (t.op == op && t.name == name) return &t;
    return nullptr;
}

}  // namespace kiln::cpu
