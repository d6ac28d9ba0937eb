#include "op_test_util.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace kiln::test {

TestTensor TestTensor::none() {
    TestTensor t;
    t.absent = true;
    return t;
}

TestTensor TestTensor::fromDoubles(ir::DType type, ir::Shape s, const std::vector<double>& v) {
    TestTensor t;
    t.dtype = type;
    t.shape = std::move(s);
    t.bytes.resize(v.size() * ir::dtypeSize(type));
    for (size_t i = 0; i < v.size(); ++i) ir::storeFromDouble(t.bytes.data(), type, int64_t(i), v[i]);
    return t;
}

TestTensor TestTensor::f32(ir::Shape s, const std::vector<float>& v) {
    return fromDoubles(ir::DType::kF32, std::move(s), std::vector<double>(v.begin(), v.end()));
}
TestTensor TestTensor::i32(ir::Shape s, const std::vector<int32_t>& v) {
    return fromDoubles(ir::DType::kI32, std::move(s), std::vector<double>(v.begin(), v.end()));
}
TestTensor TestTensor::i64(ir::Shape s, const std::vector<int64_t>& v) {
    TestTensor t;
    t.dtype = ir::DType::kI64;
    t.shape = std::move(s);
    t.bytes.resize(v.size() * 8);
    if (!v.empty()) std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
    return t;
}
TestTensor TestTensor::boolean(ir::Shape s, const std::vector<bool>& v) {
    std::vector<double> d(v.size());
    for (size_t i = 0; i < v.size(); ++i) d[i] = v[i] ? 1 : 0;
    return fromDoubles(ir::DType::kBool, std::move(s), d);
}

TestTensor toChannelsLast(const TestTensor& t) {
    const ir::Shape& s = t.shape;
    const auto v = t.toDoubles();
    std::vector<double> r(v.size());
    for (int64_t a = 0; a < s[0]; ++a)
        for (int64_t b = 0; b < s[1]; ++b)
            for (int64_t h = 0; h < s[2]; ++h)
                for (int64_t w = 0; w < s[3]; ++w)
                    r[size_t(((a * s[2] + h) * s[3] + w) * s[1] + b)] =
                        v[size_t(((a * s[1] + b) * s[2] + h) * s[3] + w)];
    return TestTensor::fromDoubles(t.dtype, {s[0], s[2], s[3], s[1]}, r);
}

TestTensor TestTensor::random(ir::DType type, ir::Shape s, uint32_t seed, double lo, double hi) {
    std::mt19937 rng(seed ^ testSeedSalt());
    std::uniform_real_distribution<double> dist(lo, hi);
    const int64_t n = ir::volume(s);
    std::vector<double> v(size_t(std::max<int64_t>(n, 0)));
    for (auto& x : v) {
        x = dist(rng);
        if (ir::dtypeIsInteger(type)) x = std::floor(x);
        if (type == ir::DType::kBool) x = x > 0.5 * (lo + hi) ? 1 : 0;
    }
    return fromDoubles(type, std::move(s), v);
}

std::vector<double> TestTensor::toDoubles() const {
    std::vector<double> r(size_t(std::max<int64_t>(numel(), 0)));
    for (size_t i = 0; i < r.size(); ++i) r[i] = ir::loadAsDouble(bytes.data(), dtype, int64_t(i));
    return r;
}

std::vector<float> TestTensor::toFloats() const {
    auto d = toDoubles();
    return {d.begin(), d.end()};
}

std::vector<int64_t> TestTensor::toInts() const {
    std::vector<int64_t> r(size_t(std::max<int64_t>(numel(), 0)));
    for (size_t i = 0; i < r.size(); ++i) {
        if (dtype == ir::DType::kI64) std::memcpy(&r[i], bytes.data() + i * 8, 8);
        else r[i] = int64_t(ir::loadAsDouble(bytes.data(), dtype, int64_t(i)));
    }
    return r;
}

uint32_t testSeedSalt() {
    // KILN_TEST_SEED draws fresh inputs for every spec (0 or unset: the specs' own seeds).
    static const uint32_t salt = [] {
        const char* s = std::getenv("KILN_TEST_SEED");
        return s ? uint32_t(std::strtoul(s, nullptr, 10)) : 0u;
    }();
    return salt;
}

namespace {
OpResult runOpCpu(const std::string& op, const ir::Attrs& attrs, const std::vector<TestTensor>& inputs,
                  int numOutputs, const std::string& tactic) {
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
        if (!t.absent) {
            d.dtype = t.dtype;
            d.shape = t.shape;
            d.data = t.bytes.data();
        }
        in.push_back(d);
    }
    std::vector<ir::TensorDesc> out;
    res.status = ir::inferNode(node, in, out);
    if (!res.status.ok()) return res;

    const cpu::Tactic* tac = cpu::findCpuTactic(op, tactic);
    if (!tac) {
        res.status = Status::Error("no CPU tactic '" + tactic + "' for " + op);
        return res;
    }
    if (!tac->supports(node, in, out)) {
        res.status = Status::Error("tactic '" + tactic + "' does not support this " + op);
        return res;
    }
    std::unique_ptr<cpu::Kernel> kernel;
    res.status = tac->create(node, in, out, kernel);
    if (!res.status.ok()) return res;

    std::vector<cpu::HostTensor> hin;
    for (const auto& t : inputs) {
        cpu::HostTensor h;
        if (!t.absent) {
            h.data = const_cast<uint8_t*>(t.bytes.data());
            h.dtype = t.dtype;
            h.shape = t.shape;
        }
        hin.push_back(h);
    }
    res.outputs.resize(numOutputs);
    std::vector<cpu::HostTensor> hout(numOutputs);
    for (int i = 0; i < numOutputs; ++i) {
        auto& o = res.outputs[i];
        o.dtype = out[i].dtype;
        o.shape = out[i].shape;
        // Poison outputs so unwritten elements show up.
        o.bytes.assign(size_t(std::max<int64_t>(o.numel(), 0)) * ir::dtypeSize(o.dtype), 0xA5);
        hout[i] = {o.bytes.data(), o.dtype, o.shape};
    }
    std::vector<uint8_t> ws(tac->workspace ? tac->workspace(node, in, out) : 0);
    cpu::ThreadPool pool(2);
    cpu::KernelArgs args{node, hin, hout, pool, ws.data(), ws.size()};
    res.status = kernel->run(args);
    return res;
}
}  // namespace

OpResult runOp(const std::string& op, const ir::Attrs& attrs, const std::vector<TestTensor>& inputs,
               int numOutputs, const std::string& tactic) {
    OpResult res = runOpCpu(op, attrs, inputs, numOutputs, tactic);
#ifdef KILN_OP_TEST_CUDA
    // The CUDA op suite: the same spec runs every CUDA tactic that supports
    // the op, checks it against the CPU result and hands its outputs to the
    // spec's own checks. Invalid inputs stay with the CPU's error.
    if (res.status.ok()) return runOpOnCuda(op, attrs, inputs, numOutputs, res);
#endif
    return res;
}

std::vector<std::string> tacticsFor(const std::string& op) {
    std::vector<std::string> r;
    for (const auto& t : cpu::cpuTactics())
        if (t.op == op) r.emplace_back(t.name);
    return r;
}

std::string compareClose(const std::vector<double>& got, const std::vector<double>& want, double rtol,
                         double atol) {
    std::ostringstream os;
    if (got.size() != want.size()) {
        os << "size mismatch: got " << got.size() << " want " << want.size();
        return os.str();
    }
    for (size_t i = 0; i < got.size(); ++i) {
        const double g = got[i], w = want[i];
        if (std::isnan(w) || std::isnan(g)) {
            if (std::isnan(w) != std::isnan(g)) {
                os << "element " << i << ": got " << g << " want " << w;
                return os.str();
            }
            continue;
        }
        if (std::isinf(w) || std::isinf(g)) {
            if (g != w) {
                os << "element " << i << ": got " << g << " want " << w;
                return os.str();
            }
            continue;
        }
        if (std::fabs(g - w) > atol + rtol * std::fabs(w)) {
            os << "element " << i << ": got " << g << " want " << w << " (|diff| " << std::fabs(g - w) << ")";
            return os.str();
        }
    }
    return {};
}

}  // namespace kiln::test
