// If -> IIfConditional (or the taken branch inline when the condition is known
// at parse time); Loop and Scan -> ILoop. Subgraphs are imported inline with
// ConverterContext::importSubgraph.
#include "ops.h"
#include "shape_math.h"

namespace kiln::onnx {

namespace {

// A bool/int64 scalar (ONNX allows shape [1] for these).
ITensor* asScalar(ConverterContext& ctx, int input) {
    ITensor* t = ctx.tensor(input);
    return t ? shape::scalar(ctx, *t) : nullptr;
}

}  // namespace

KILN_ONNX_CONVERTER(convertIf) {
    (void)inputs;
    const pb::GraphProto* branch[2] = {ctx.attrGraph("then_branch"), ctx.attrGraph("else_branch")};
    if (!branch[0] || !branch[1]) return ctx.fail(ErrorCode::kINVALID_NODE, "needs then_branch and else_branch");
    const int n = node.output_size();
    if (branch[0]->output_size() != n || branch[1]->output_size() != n)
        return ctx.fail(ErrorCode::kINVALID_NODE, "the branches must give one value per output");
    if (const Constant* c = ctx.constant(0)) {
        // Known condition: only the taken branch exists.
        if (c->count() != 1) return ctx.fail(ErrorCode::kINVALID_NODE, "the condition must hold one value");
        return ctx.importSubgraph(*branch[c->toFloats()[0] != 0.f ? 0 : 1], {}, outputs);
    }
    ITensor* cond = asScalar(ctx, 0);
    if (!cond) return false;
    IIfConditional* ifc = ctx.network().addIfConditional();
    if (!ifc || !ifc->setCondition(*cond))
        return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the conditional");
    ifc->setName(node.name().c_str());
    std::vector<ITensor*> out[2];
    for (int b = 0; b < 2; ++b) {
        // Tensors from outside enter each branch through the conditional's inputs.
        auto enter = [&](ITensor& outer) -> ITensor* {
            IIfConditionalInputLayer* in = ifc->addInput(outer);
            return in ? in->getOutput(0) : nullptr;
        };
        if (!ctx.importSubgraph(*branch[b], {}, out[b], enter)) return false;
    }
    for (int k = 0; k < n; ++k) {
        IIfConditionalOutputLayer* o = ifc->addOutput(*out[0][size_t(k)], *out[1][size_t(k)]);
        if (!o) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected output " + std::to_string(k));
        ctx.nameLayer(o, ("_out" + std::to_string(k)).c_str());
        outputs.push_back(o->getOutput(0));
    }
    return true;
}

// Loop(M?, cond?, v...) with body(i, cond_in, v...) -> (cond_out, v..., scans...):
// recurrences for the iteration number, the condition and the carried values,
// a count limit M and a while limit on the condition, scan outputs stacked.
KILN_ONNX_CONVERTER(convertLoop) {
    (void)inputs;
    const pb::GraphProto* body = ctx.attrGraph("body");
    if (!body) return ctx.fail(ErrorCode::kINVALID_NODE, "needs a body");
    const int carried = node.input_size() - 2;
    if (carried < 0 || body->input_size() != carried + 2 || body->output_size() < carried + 1)
        return ctx.fail(ErrorCode::kINVALID_NODE, "the body's inputs/outputs do not match the loop's");
    if (!ctx.hasInput(0) && !ctx.hasInput(1))
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "a loop with neither a trip count nor a condition never ends");
    ILoop* loop = ctx.network().addLoop();
    if (!loop) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the loop");
    loop->setName(node.name().c_str());
    if (ctx.hasInput(0)) {
        ITensor* m = asScalar(ctx, 0);
        if (!m || !loop->addTripLimit(*m, TripLimit::kCOUNT))
            return ctx.fail(ErrorCode::kINVALID_NODE, "bad trip count");
    }
    ITensor* zero = shape::i64(ctx, {0}, true);
    ITensor* one = zero ? shape::i64(ctx, {1}, true) : nullptr;
    IRecurrenceLayer* iter = one ? loop->addRecurrence(*zero) : nullptr;
    if (!iter) return false;
    std::vector<ITensor*> bindings = {iter->getOutput(0)};
    IRecurrenceLayer* cond = nullptr;
    if (ctx.hasInput(1)) {
        ITensor* c = asScalar(ctx, 1);
        cond = c ? loop->addRecurrence(*c) : nullptr;
        if (!cond || !loop->addTripLimit(*cond->getOutput(0), TripLimit::kWHILE)) return false;
        bindings.push_back(cond->getOutput(0));
    } else {
        Constant t;
        t.type = DataType::kBOOL;
        t.bytes = {1};
        bindings.push_back(ctx.addConstantTensor(t));
    }
    std::vector<IRecurrenceLayer*> state;
    for (int k = 0; k < carried; ++k) {
        ITensor* init = ctx.tensor(k + 2);
        IRecurrenceLayer* r = init ? loop->addRecurrence(*init) : nullptr;
        if (!r) return ctx.fail(ErrorCode::kINVALID_NODE, "bad loop-carried value " + std::to_string(k));
        state.push_back(r);
        bindings.push_back(r->getOutput(0));
    }
    std::vector<ITensor*> out;
    if (!ctx.importSubgraph(*body, bindings, out)) return false;
    ITensor* next = shape::binary(ctx, *iter->getOutput(0), *one, ElementWiseOperation::kSUM);
    if (!next) return false;
    iter->setInput(1, *next);
    if (cond) {
        ITensor* c = shape::scalar(ctx, *out[0]);
        if (!c) return false;
        cond->setInput(1, *c);
    }
    for (int k = 0; k < carried; ++k) {
        state[size_t(k)]->setInput(1, *out[size_t(k) + 1]);
        ILoopOutputLayer* o = loop->addLoopOutput(*state[size_t(k)]->getOutput(0), LoopOutput::kLAST_VALUE);
        if (!o) return false;
        outputs.push_back(o->getOutput(0));
    }
    for (size_t j = size_t(carried) + 1; j < out.size(); ++j) {
        ILoopOutputLayer* o = loop->addLoopOutput(*out[j], LoopOutput::kCONCATENATE, 0);
        if (!o) return false;
        outputs.push_back(o->getOutput(0));
    }
    return true;
}

namespace {

// num_scan_inputs, or 0 (refused by the callers) when outside [1, inputs]:
// a mutated value narrowed to int (-2^31) made `inputs - m` overflow.
int scanInputCount(ConverterContext& ctx, const pb::NodeProto& node) {
    const int64_t m = ctx.attrInt("num_scan_inputs", 0);
    return m < 1 || m > node.input_size() ? 0 : int(m);
}

// Scan-8: every input has a leading batch axis and scans along axis 1. An outer
// loop walks the batch, an inner one the sequence; outputs stack both.
bool scan8(ConverterContext& ctx, const pb::NodeProto& node, const pb::GraphProto& body,
           std::vector<ITensor*>& outputs) {
    if (ctx.hasInput(0)) return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "Scan-8 with sequence_lens");
    const int m = scanInputCount(ctx, node);
    const int n = node.input_size() - 1 - m;
    if (m <= 0 || n < 0 || body.input_size() != n + m || body.output_size() < n)
        return ctx.fail(ErrorCode::kINVALID_NODE, "num_scan_inputs does not match the inputs and the body");
    auto dirs = ctx.attrInts("directions");
    if (dirs.empty()) dirs.assign(size_t(m), 0);
    if (int(dirs.size()) != m)
        return ctx.fail(ErrorCode::kINVALID_NODE, "directions must have one entry per scan input");
    ILoop* batch = ctx.network().addLoop();
    ILoop* seq = batch ? ctx.network().addLoop() : nullptr;
    if (!seq) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the loops");
    std::vector<ITensor*> bindings;
    std::vector<IRecurrenceLayer*> state;
    for (int s = 0; s < n + m; ++s) {
        ITensor* x = ctx.tensor(1 + s);
        IIteratorLayer* item = x ? batch->addIterator(*x, 0, false) : nullptr;  // one batch item
        if (!item) return false;
        if (s < n) {
            IRecurrenceLayer* r = seq->addRecurrence(*item->getOutput(0));
            if (!r) return false;
            state.push_back(r);
            bindings.push_back(r->getOutput(0));
        } else {
            IIteratorLayer* step = seq->addIterator(*item->getOutput(0), 0, dirs[size_t(s - n)] != 0);
            if (!step) return false;
            bindings.push_back(step->getOutput(0));
        }
    }
    std::vector<ITensor*> out;
    if (!ctx.importSubgraph(body, bindings, out)) return false;
    for (size_t j = 0; j < out.size(); ++j) {
        ILoopOutputLayer* inner = j < size_t(n) ? seq->addLoopOutput(*state[j]->getOutput(0), LoopOutput::kLAST_VALUE)
                                                : seq->addLoopOutput(*out[j], LoopOutput::kCONCATENATE, 0);
        if (j < size_t(n)) state[j]->setInput(1, *out[j]);
        ILoopOutputLayer* outer =
            inner ? batch->addLoopOutput(*inner->getOutput(0), LoopOutput::kCONCATENATE, 0) : nullptr;
        if (!outer) return false;
        outputs.push_back(outer->getOutput(0));
    }
    return true;
}

}  // namespace

// Scan (opset 9+): states as recurrences, scan inputs as iterators (axes and
// directions per input), scan outputs stacked (reversed for direction 1).
KILN_ONNX_CONVERTER(convertScan) {
    (void)inputs;
    const pb::GraphProto* body = ctx.attrGraph("body");
    if (!body) return ctx.fail(ErrorCode::kINVALID_NODE, "needs a body");
    if (ctx.opset() < 9) return scan8(ctx, node, *body, outputs);
    const int m = scanInputCount(ctx, node);
    const int n = node.input_size() - m;
    if (m <= 0 || n < 0 || body->input_size() != n + m || body->output_size() < n)
        return ctx.fail(ErrorCode::kINVALID_NODE, "num_scan_inputs does not match the inputs and the body");
    auto listOr = [&](const char* name, int count) {
        auto v = ctx.attrInts(name);
        if (v.empty()) v.assign(size_t(count), 0);
        return v;
    };
    const int k = body->output_size() - n;
    const auto inAxes = listOr("scan_input_axes", m), inDirs = listOr("scan_input_directions", m);
    const auto outAxes = listOr("scan_output_axes", k), outDirs = listOr("scan_output_directions", k);
    if (int(inAxes.size()) != m || int(inDirs.size()) != m || int(outAxes.size()) != k || int(outDirs.size()) != k)
        return ctx.fail(ErrorCode::kINVALID_NODE, "scan axes/directions must have one entry per scan input/output");
    ILoop* loop = ctx.network().addLoop();
    if (!loop) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the loop");
    loop->setName(node.name().c_str());
    std::vector<ITensor*> bindings;
    std::vector<IRecurrenceLayer*> state;
    for (int s = 0; s < n; ++s) {
        ITensor* init = ctx.tensor(s);
        IRecurrenceLayer* r = init ? loop->addRecurrence(*init) : nullptr;
        if (!r) return ctx.fail(ErrorCode::kINVALID_NODE, "bad state " + std::to_string(s));
        state.push_back(r);
        bindings.push_back(r->getOutput(0));
    }
    for (int j = 0; j < m; ++j) {
        ITensor* x = ctx.tensor(n + j);
        if (!x) return false;
        int64_t axis = inAxes[size_t(j)];
        if (!normalizeAxis(axis, x->getDimensions().nbDims))
            return ctx.fail(ErrorCode::kINVALID_VALUE, "scan input axis out of range");
        IIteratorLayer* it = loop->addIterator(*x, int32_t(axis), inDirs[size_t(j)] != 0);
        if (!it) return false;
        bindings.push_back(it->getOutput(0));
    }
    std::vector<ITensor*> out;
    if (!ctx.importSubgraph(*body, bindings, out)) return false;
    for (int s = 0; s < n; ++s) {
        state[size_t(s)]->setInput(1, *out[size_t(s)]);
        ILoopOutputLayer* o = loop->addLoopOutput(*state[size_t(s)]->getOutput(0), LoopOutput::kLAST_VALUE);
        if (!o) return false;
        outputs.push_back(o->getOutput(0));
    }
    for (int j = 0; j < k; ++j) {
        ITensor* v = out[size_t(n + j)];
        int64_t axis = outAxes[size_t(j)];
        if (!normalizeAxis(axis, v->getDimensions().nbDims + 1))
            return ctx.fail(ErrorCode::kINVALID_VALUE, "scan output axis out of range");
        ILoopOutputLayer* o = loop->addLoopOutput(
            *v, outDirs[size_t(j)] ? LoopOutput::kREVERSE : LoopOutput::kCONCATENATE, int32_t(axis));
        if (!o) return false;
        outputs.push_back(o->getOutput(0));
    }
    return true;
}

}  // namespace kiln::onnx
