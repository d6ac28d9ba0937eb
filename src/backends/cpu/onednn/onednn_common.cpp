#include "onednn_common.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <optional>
#include <stdexcept>
#include <unordered_map>

namespace kiln::cpu::onednn {

namespace {

constexpr size_t kAlign = 64;
size_t roundUp(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// One primitive for one concrete set of shapes, ready to execute.
struct Plan {
    dnnl::primitive prim;
    memory::desc srcUser, srcPrim, dstUser, dstPrim, weightsRuntime, scratch;
    std::optional<dnnl::reorder> srcReorder, dstReorder;  // staging, when layouts differ
    memory weights;  // constant weights in the primitive's layout (empty: MatMul)
    size_t scratchBytes = 0;
    size_t wsBytes = 0;
};

class OneDnnKernel final : public Kernel {
public:
    explicit OneDnnKernel(KernelSpec spec) : spec_(std::move(spec)) {}

    // Makes the plan for the build shapes; the weights are reordered here, once.
    Status init(const std::vector<ir::Shape>& shapes) {
        KILN_RETURN_IF_ERROR(makePlan(shapes, main_));
        mainShapes_ = shapes;
        prepared_ = main_->weights;
        spec_.constWeights = memory();  // it wrapped the caller's buffer: drop it
        return Status::Ok();
    }

    Status run(KernelArgs& args) const override {
        return guarded(spec_.op + " (onednn)", [&] { return runImpl(args); });
    }

private:
    Status makePlan(const std::vector<ir::Shape>& shapes, std::shared_ptr<const Plan>& out) const;
    std::shared_ptr<const Plan> planFor(const std::vector<ir::Shape>& shapes) const;
    Status runImpl(KernelArgs& args) const;

    KernelSpec spec_;
    std::vector<ir::Shape> mainShapes_;
    std::shared_ptr<const Plan> main_;
    memory prepared_;  // constant weights in main_'s layout, the source for other plans
    // Plans for other shapes; nullptr marks shapes oneDNN declined (use the fallback).
    mutable std::mutex mu_;
    mutable std::map<std::vector<ir::Shape>, std::shared_ptr<const Plan>> others_;
};

Status OneDnnKernel::makePlan(const std::vector<ir::Shape>& shapes, std::shared_ptr<const Plan>& out) const {
    Setup s;
    KILN_RETURN_IF_ERROR(spec_.setup(shapes, s));
    const dnnl::engine& eng = cpuEngine();
    auto p = std::make_shared<Plan>();
    p->prim = dnnl::primitive(s.pd);
    p->srcUser = s.srcUser;
    p->srcPrim = s.pd.src_desc(0);
    p->dstUser = s.dstUser;
    p->dstPrim = s.pd.dst_desc(0);
    using reorderPd = dnnl::reorder::primitive_desc;
    if (p->srcPrim != p->srcUser) p->srcReorder = dnnl::reorder(reorderPd(eng, p->srcUser, eng, p->srcPrim));
    if (p->dstPrim != p->dstUser) p->dstReorder = dnnl::reorder(reorderPd(eng, p->dstPrim, eng, p->dstUser));
    p->weightsRuntime = s.weightsUser;
    const memory source = prepared_ ? prepared_ : spec_.constWeights;
    if (source) {
        const memory::desc want = s.pd.weights_desc(0);
        if (prepared_ && want == prepared_.get_desc()) {
            p->weights = prepared_;  // same layout: share the prepared copy
        } else {
            // Owned copy in the primitive's preferred layout. Made once per plan.
            p->weights = memory(want, eng);
            memory src = source;
            dnnl::stream strm(eng);
            dnnl::reorder(src, p->weights).execute(strm, src, p->weights);
            strm.wait();
        }
    }
    p->scratch = s.pd.scratchpad_desc();
    p->scratchBytes = p->scratch.get_size();
    p->wsBytes = workspaceBytes(s);
    out = std::move(p);
    return Status::Ok();
}

std::shared_ptr<const Plan> OneDnnKernel::planFor(const std::vector<ir::Shape>& shapes) const {
    if (shapes == mainShapes_) return main_;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = others_.find(shapes);
    if (it != others_.end()) return it->second;
    // Dynamic shapes could grow the cache without bound; start over past a cap.
    if (others_.size() >= 64) others_.clear();
    std::shared_ptr<const Plan> plan;
    if (!guarded(spec_.op, [&] { return makePlan(shapes, plan); }).ok()) plan = nullptr;
    others_.emplace(shapes, plan);
    return plan;
}

Status OneDnnKernel::runImpl(KernelArgs& args) const {
    std::vector<ir::Shape> shapes;
    for (int i : spec_.shapeInputs) {
        if (size_t(i) >= args.inputs.size() || !args.inputs[size_t(i)].data)
            return Status::Error(spec_.op + ": input " + std::to_string(i) + " is missing");
        shapes.push_back(args.inputs[size_t(i)].shape);
    }
    if (args.outputs.empty()) return Status::Error(spec_.op + ": no output buffer");
    HostTensor& y = args.outputs[0];
    if (y.numel() == 0) return Status::Ok();
    for (const auto& s : shapes)
        if (ir::volume(s) == 0) {  // e.g. MatMul with K = 0: an empty sum
            std::memset(y.data, 0, y.bytes());
            return Status::Ok();
        }
    const std::shared_ptr<const Plan> plan = planFor(shapes);
    if (!plan) {
        if (spec_.fallback) return spec_.fallback(args);
        return Status::Error(spec_.op + ": oneDNN cannot run shape " + ir::shapeToString(shapes[0]));
    }
    const Plan& p = *plan;
    if (p.dstUser.get_size() != y.bytes())
        return Status::Error(spec_.op + ": output buffer " + ir::shapeToString(y.shape) +
                             " does not match the primitive");

    // Carve scratchpad and staging buffers out of the workspace; a private
    // buffer only when the caller's is too small (a shape the builder did not size).
    std::vector<uint8_t> own;
    uint8_t* base = static_cast<uint8_t*>(args.workspace);
    if (!base || args.workspaceBytes < p.wsBytes) {
        own.resize(p.wsBytes);
        base = own.data();
    }
    uint8_t* cur = base + (kAlign - reinterpret_cast<uintptr_t>(base) % kAlign) % kAlign;
    auto take = [&](size_t n) {
        uint8_t* r = cur;
        cur += roundUp(n);
        return r;
    };

    const dnnl::engine& eng = cpuEngine();
    dnnl::stream strm(eng);  // per call: run() may be called from several threads
    std::unordered_map<int, memory> m;
    if (p.scratchBytes) m[DNNL_ARG_SCRATCHPAD] = memory(p.scratch, eng, take(p.scratchBytes));
    memory srcUser(p.srcUser, eng, args.inputs[size_t(spec_.srcInput)].data);
    memory dstUser(p.dstUser, eng, y.data);
    memory src = srcUser, dst = dstUser;
    if (p.srcReorder) {
        src = memory(p.srcPrim, eng, take(p.srcPrim.get_size()));
        p.srcReorder->execute(strm, srcUser, src);
    }
    if (p.dstReorder) dst = memory(p.dstPrim, eng, take(p.dstPrim.get_size()));
    m[DNNL_ARG_SRC] = src;
    m[DNNL_ARG_DST] = dst;
    if (p.weights) m[DNNL_ARG_WEIGHTS] = p.weights;
    if (spec_.runtimeWeightsInput >= 0)
        m[DNNL_ARG_WEIGHTS] = memory(p.weightsRuntime, eng, args.inputs[size_t(spec_.runtimeWeightsInput)].data);
    if (spec_.bias) m[DNNL_ARG_BIAS] = spec_.bias;
    p.prim.execute(strm, m);
    if (p.dstReorder) p.dstReorder->execute(strm, dst, dstUser);
    strm.wait();
    return Status::Ok();
}

}  // namespace

const dnnl::engine& cpuEngine() {
    static const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
    return eng;
}

// oneDNN counts some sizes in int (a MatMul of 2^40 rows divided by zero in
// its primitive-descriptor creation): a tensor of more elements throws here,
// inside guarded(), so the layer is left to the reference kernel.
static void checkIntSized(const dims& d) {
    int64_t n = 1;
    for (int64_t e : d)
        if (__builtin_mul_overflow(n, std::max<int64_t>(e, 1), &n) || n > INT32_MAX)
            throw std::length_error("a tensor of over 2^31 - 1 elements is not handed to oneDNN");
}

dims toDims(const ir::Shape& s) {
    dims d(s.begin(), s.end());
    checkIntSized(d);
    return d;
}

dims rowMajorStrides(const dims& d) {
    dims st(d.size(), 1);
    for (size_t i = d.size(); i-- > 1;)  // saturating: an absurd shape is then refused by the size checks
        if (__builtin_mul_overflow(st[i], std::max<int64_t>(d[i], 1), &st[i - 1])) st[i - 1] = INT64_MAX;
    return st;
}

memory::desc plainDesc(const dims& d) { return stridedDesc(d, rowMajorStrides(d)); }

memory::desc stridedDesc(const dims& d, const dims& strides) {
    checkIntSized(d);
    return memory::desc(d, memory::data_type::f32, strides);
}

bool allF32(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    for (size_t i = 0; i < in.size(); ++i)
        if (node.hasInput(i) && in[i].dtype != ir::DType::kF32) return false;
    for (const auto& o : out)
        if (o.dtype != ir::DType::kF32) return false;
    return !out.empty();
}

bool isConstant(const ir::Node& node, const std::vector<ir::TensorDesc>& in, size_t i) {
    return node.hasInput(i) && i < in.size() && in[i].data && ir::isStatic(in[i].shape);
}

dnnl::primitive_attr userScratchpadAttr() {
    dnnl::primitive_attr a;
    a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    return a;
}

size_t workspaceBytes(const Setup& s) {
    size_t n = kAlign + roundUp(s.pd.scratchpad_desc().get_size());
    if (s.pd.src_desc(0) != s.srcUser) n += roundUp(s.pd.src_desc(0).get_size());
    if (s.pd.dst_desc(0) != s.dstUser) n += roundUp(s.pd.dst_desc(0).get_size());
    return n;
}

Status guarded(const std::string& what, const std::function<Status()>& fn) noexcept {
    try {
        return fn();
    } catch (const dnnl::error& e) {
        return Status::Error(what + ": oneDNN error: " + e.what());
    } catch (const std::exception& e) {
        return Status::Error(what + ": " + e.what());
    } catch (...) {
        return Status::Error(what + ": unknown exception");
    }
}

bool canSetup(const SetupFn& setup, const std::vector<ir::Shape>& shapes) noexcept {
    Setup s;
    return guarded("onednn", [&] { return setup(shapes, s); }).ok();
}

size_t setupWorkspace(const SetupFn& setup, const std::vector<ir::Shape>& shapes) noexcept {
    size_t n = 0;
    Setup s;
    const Status st = guarded("onednn", [&] {
        KILN_RETURN_IF_ERROR(setup(shapes, s));
        n = workspaceBytes(s);
        return Status::Ok();
    });
    return st.ok() ? n : 0;
}

Status createKernel(KernelSpec spec, const std::vector<ir::Shape>& shapes, std::unique_ptr<Kernel>& out) noexcept {
    return guarded(spec.op + " (onednn)", [&] {
        auto k = std::make_unique<OneDnnKernel>(std::move(spec));
        KILN_RETURN_IF_ERROR(k->init(shapes));
        out = std::move(k);
        return Status::Ok();
    });
}

memory ownedCopy(const memory::desc& d, const void* data) {
    memory m(d, cpuEngine());
    std::memcpy(m.get_data_handle(), data, d.get_size());
    return m;
}

}  // namespace kiln::cpu::onednn
