// The CUDA side of the op specs: every spec of tests/ops runs in
// kiln_op_tests_cuda with runOp() also running each CUDA tactic that supports
// the op (on the device, outputs poisoned first) and comparing it with the
// CPU reference: float32 within 1e-5 relative (scaled by the reduction length
// for GEMM, convolution and reductions), float16/bfloat16 within 1e-2 (2e-2
// for bfloat16's shorter mantissa), everything else exactly; NaN where NaN.
// Ops of data-dependent output size (NonZero, Unique, NMS) run as the runtime
// runs them: their data inputs unknown to shape inference, their outputs at
// the upper bound, the actual extent reported by the kernel; that extent and
// the outputs cut to it are compared with the CPU's.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <sstream>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/device_memory.h"
#include "backends/cuda/host_plan.h"
#include "backends/cuda/tactic.h"
#include "ir/ops/convolution.h"
#include "ops/op_test_util.h"

namespace kiln::test {

namespace {

class CudaEnvironment : public ::testing::Environment {
public:
    void SetUp() override {
        if (cuda::deviceCount() == 0) GTEST_SKIP() << "no CUDA device: the CUDA op specs are skipped";
        std::printf("CUDA op specs on %s, KILN_TEST_SEED salt %u\n", cuda::deviceFingerprint().c_str(), testSeedSalt());
    }
};
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new CudaEnvironment);

cuda::Handles& handles() {
    static cuda::Handles h;
    static bool made = false;
    if (!made) {
        const Status st = cuda::Handles::create(h);
        if (!st.ok()) std::fprintf(stderr, "creating CUDA handles failed: %s\n", st.message().c_str());
        made = true;
    }
    return h;
}

// How many products or terms feed one output element (for tolerances).
double reductionLength(const std::string& op, const ir::Attrs& attrs, const std::vector<TestTensor>& in,
                       const std::vector<TestTensor>& out) {
    const bool conv = op == "Convolution" || op == "FusedConvolution";
    if ((conv || op == "Deconvolution") && in.size() >= 2 && in[1].shape.size() >= 2) {
        // Convolution: W is [M, C/g, K..] (channels-last [M, K.., C/g]: the same product);
        // Deconvolution: [C, M/g, K..], where C bounds the terms.
        double k = double(conv ? in[1].shape[1] : in[1].shape[0]);
        for (size_t i = 2; i < in[1].shape.size(); ++i) k *= double(in[1].shape[i]);
        return k;
    }
    if (op == "MatMul" && in.size() == 2 && !in[0].shape.empty()) {
        const bool tA = in[0].shape.size() > 1 && attrs.getInt("transA", 0);
        return double(tA ? in[0].shape[in[0].shape.size() - 2] : in[0].shape.back());
    }
    if (op == "FullyConnected" && in.size() >= 2 && in[1].shape.size() == 2) return double(in[1].shape[1]);
    if (op == "Reduce" || op == "Normalization" || op == "Softmax" || op == "LRN" || op == "Pooling") {
        const double n = double(std::max<int64_t>(in[0].numel(), 1)), m = double(std::max<int64_t>(out[0].numel(), 1));
        return op == "Reduce" ? std::max(1.0, n / m) : 16.0;
    }
    return 1.0;
}

std::string compareOutputs(const TestTensor& got, const TestTensor& want, double lengthScale) {
    std::ostringstream os;
    if (got.dtype != want.dtype || got.shape != want.shape) {
        os << "output is " << ir::dtypeName(got.dtype) << ir::shapeToString(got.shape) << ", reference "
           << ir::dtypeName(want.dtype) << ir::shapeToString(want.shape);
        return os.str();
    }
    const auto g = got.toDoubles(), w = want.toDoubles();
    if (!ir::dtypeIsFloat(want.dtype)) {
        if (want.dtype == ir::DType::kI64) {
            const auto gi = got.toInts(), wi = want.toInts();
            for (size_t i = 0; i < gi.size(); ++i)
                if (gi[i] != wi[i]) {
                    os << "element " << i << ": got " << gi[i] << ", reference " << wi[i];
                    return os.str();
                }
            return {};
        }
        for (size_t i = 0; i < g.size(); ++i)
            if (g[i] != w[i]) {
                os << "element " << i << ": got " << g[i] << ", reference " << w[i];
                return os.str();
            }
        return {};
    }
    const double base = want.dtype == ir::DType::kF32 ? 1e-5 : want.dtype == ir::DType::kBF16 ? 2e-2 : 1e-2;
    const double rtol = base * std::max(1.0, std::sqrt(lengthScale));
    double maxAbs = 0;
    for (double v : w)
        if (std::isfinite(v)) maxAbs = std::max(maxAbs, std::fabs(v));
    // Terms of a sum may cancel: their size, not the result's, bounds the error.
    const double atol = lengthScale > 1 ? rtol * maxAbs : base * 1e-1 * std::max(maxAbs, 1e-3);
    for (size_t i = 0; i < g.size(); ++i) {
        if (std::isnan(w[i]) || std::isnan(g[i])) {
            if (std::isnan(w[i]) != std::isnan(g[i])) {
                os << "element " << i << ": got " << g[i] << ", reference " << w[i];
                return os.str();
            }
            continue;
        }
        if (std::isinf(w[i]) || std::isinf(g[i])) {
            if (g[i] != w[i]) {
                os << "element " << i << ": got " << g[i] << ", reference " << w[i];
                return os.str();
            }
            continue;
        }
        if (std::fabs(g[i] - w[i]) > atol + rtol * std::fabs(w[i])) {
            os << "element " << i << ": got " << g[i] << ", reference " << w[i] << " (|diff| " << std::fabs(g[i] - w[i])
               << ", allowed " << atol + rtol * std::fabs(w[i]) << ")";
            return os.str();
        }
    }
    return {};
}

// `extent`: for a data-dependent op, where the extent the kernel reports goes (else nullptr).
Status runTactic(const cuda::Tactic& t, const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                 const std::vector<ir::TensorDesc>& out, const std::vector<TestTensor>& inputs,
                 std::vector<TestTensor>& outputs, int64_t* extent = nullptr) {
    std::unique_ptr<cuda::Kernel> kernel;
    KILN_RETURN_IF_ERROR(t.create(node, in, out, kernel));
    std::vector<cuda::DeviceBuffer> bufs;
    std::vector<cuda::DeviceTensor> din, dout;
    for (const auto& x : inputs) {
        cuda::DeviceTensor d;
        if (!x.absent) {
            cuda::DeviceBuffer b;
            KILN_RETURN_IF_ERROR(cuda::DeviceBuffer::allocate(std::max<size_t>(x.bytes.size(), 1), "test input", b));
            KILN_RETURN_IF_ERROR(cuda::copyToDevice(b.get(), x.bytes.data(), x.bytes.size()));
            d = {b.get(), x.dtype, x.shape, x.bytes.data()};
            bufs.push_back(std::move(b));
        }
        din.push_back(d);
    }
    outputs.assign(out.size(), {});
    for (size_t i = 0; i < out.size(); ++i) {
        outputs[i].dtype = out[i].dtype;
        outputs[i].shape = out[i].shape;
        const size_t bytes = size_t(std::max<int64_t>(ir::volume(out[i].shape), 0)) * ir::dtypeSize(out[i].dtype);
        cuda::DeviceBuffer b;
        KILN_RETURN_IF_ERROR(cuda::DeviceBuffer::allocate(std::max<size_t>(bytes, 1), "test output", b));
        KILN_CUDA_CHECK(cudaMemset(b.get(), 0xA5, std::max<size_t>(bytes, 1)));  // unwritten elements show up
        dout.push_back({b.get(), out[i].dtype, out[i].shape, nullptr});
        bufs.push_back(std::move(b));
    }
    const size_t wsBytes = t.workspace ? t.workspace(node, in, out) : 0;
    cuda::DeviceBuffer ws;
    KILN_RETURN_IF_ERROR(cuda::DeviceBuffer::allocate(wsBytes, "test workspace", ws));
    cudaStream_t stream = nullptr;
    KILN_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    cuda::LaunchArgs args{node, din, dout, stream, ws.get(), wsBytes, handles()};
    cuda::DeviceBuffer extentBuf;
    if (extent) {
        KILN_RETURN_IF_ERROR(cuda::DeviceBuffer::allocate(sizeof(int64_t), "test extent", extentBuf));
        KILN_CUDA_CHECK(cudaMemset(extentBuf.get(), 0xA5, sizeof(int64_t)));  // an unwritten extent shows up
        args.outputExtent = static_cast<int64_t*>(extentBuf.get());
    }
    const Status st = kernel->enqueue(args);
    const cudaError_t sync = cudaStreamSynchronize(stream);
    cudaStreamDestroy(stream);
    KILN_RETURN_IF_ERROR(st);
    if (sync != cudaSuccess) return cuda::cudaError(sync, "cudaStreamSynchronize");
    if (extent) KILN_RETURN_IF_ERROR(cuda::copyToHost(extent, extentBuf.get(), sizeof(int64_t)));
    for (size_t i = 0; i < out.size(); ++i) {
        outputs[i].bytes.resize(size_t(std::max<int64_t>(outputs[i].numel(), 0)) * ir::dtypeSize(outputs[i].dtype));
        KILN_RETURN_IF_ERROR(cuda::copyToHost(outputs[i].bytes.data(), dout[i].data, outputs[i].bytes.size()));
    }
    return Status::Ok();
}

}  // namespace

OpResult runOpOnCuda(const std::string& op, const ir::Attrs& attrs, const std::vector<TestTensor>& inputs,
                     int numOutputs, const OpResult& reference) {
    OpResult res;
    ir::Node node;
    node.op = op;
    node.name = "test_" + op;
    node.attrs = attrs;
    for (size_t i = 0; i < inputs.size(); ++i) node.inputs.push_back(inputs[i].absent ? -1 : int(i));
    for (int i = 0; i < numOutputs; ++i) node.outputs.push_back(int(inputs.size()) + i);
    std::vector<ir::TensorDesc> in;
    for (const auto& t : inputs) {
        ir::TensorDesc d;
        if (!t.absent) d = {t.dtype, t.shape, t.bytes.data()};
        in.push_back(d);
    }
    std::vector<ir::TensorDesc> out;
    res.status = ir::inferNode(node, in, out);
    if (!res.status.ok()) return res;
    // A data-dependent op runs as in an engine: its data inputs' values are not
    // known to shape inference (NMS's scalar parameters are, like constants),
    // its outputs come at the upper bound of the extent.
    const bool dataDependent = cuda::isDataDependentOp(op);
    std::vector<ir::Shape> unknown(out.size());
    if (dataDependent) {
        for (size_t k = 0; k < in.size(); ++k)
            if (!(op == "NMS" && k >= 2)) in[k].data = nullptr;
        res.status = ir::inferNode(node, in, out);
        if (!res.status.ok()) return res;
        const int64_t bound = cuda::extentBound(node, in);
        if (bound < 0) {
            res.status = Status::Error("no upper bound for the output size of this " + op);
            return res;
        }
        for (size_t k = 0; k < out.size(); ++k) {
            unknown[k] = out[k].shape;
            for (auto& d : out[k].shape)
                if (d < 0) d = bound;
        }
    }
    const double len = reductionLength(op, attrs, inputs, reference.outputs);
    bool any = false;
    for (const auto& t : cuda::cudaTactics()) {
        if (t.op != op || !t.supports(node, in, out)) continue;
        std::vector<TestTensor> outputs;
        int64_t extent = -1;
        Status st = runTactic(t, node, in, out, inputs, outputs, dataDependent ? &extent : nullptr);
        const std::string what = "CUDA tactic '" + std::string(t.name) + "' for " + op;
        if (st.ok() && dataDependent) {
            // Cut the outputs of unknown extent to the one the kernel reported.
            if (extent < 0 || extent > (out.empty() ? 0 : cuda::extentBound(node, in)))
                st = Status::Error("reported extent " + std::to_string(extent) + " is outside [0, bound]");
            for (size_t k = 0; st.ok() && k < outputs.size(); ++k) {
                if (ir::isStatic(unknown[k])) continue;
                ir::Shape actual = unknown[k];
                for (auto& d : actual)
                    if (d < 0) d = extent;
                outputs[k].shape = actual;
                outputs[k].bytes.resize(size_t(ir::volume(actual)) * ir::dtypeSize(outputs[k].dtype));
            }
        }
        if (!st.ok()) {
            (void)cudaGetLastError();
            res.status = Status::Error(what + " failed: " + st.message());
            return res;
        }
        for (size_t i = 0; i < outputs.size(); ++i) {
            const std::string diff = compareOutputs(outputs[i], reference.outputs[i], len);
            if (!diff.empty()) {
                res.status =
                    Status::Error(what + ", output " + std::to_string(i) + " differs from the CPU reference: " + diff);
                return res;
            }
        }
        if (!any) res.outputs = std::move(outputs);
        any = true;
    }
    if (!any) {
        std::string types;
        for (const auto& d : in) types += std::string(types.empty() ? "" : ", ") + std::string(ir::dtypeName(d.dtype));
        res.status = Status::Error("no CUDA tactic supports this " + op + " (inputs " + types + ")");
    }
    return res;
}

}  // namespace kiln::test
