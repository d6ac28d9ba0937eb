// Einsum: numpy/ONNX Einstein summation. "ij,jk->ik" names the axes of each
// input with letters; "..." stands for broadcast dims. Without "->" the output
// is the "..." dims followed by the letters used exactly once, in ASCII order.
// A letter repeated within one input takes the diagonal.
#include <algorithm>
#include <cctype>

#include "nn_ops.h"

namespace kiln::ir::nn {

namespace {

constexpr int kEllipsis = -1;
constexpr int kLetters = 128;  // labels 0..127 are ASCII letters; "..." dims follow

// Splits one term into letters (their ASCII code) and kEllipsis.
Status parseTerm(const std::string& term, std::vector<int>& out) {
    out.clear();
    bool sawEllipsis = false;
    for (size_t i = 0; i < term.size(); ++i) {
        const char c = term[i];
        if (c == ' ') continue;
        if (c == '.') {
            if (term.compare(i, 3, "...") != 0 || sawEllipsis)
                return Status::Error("malformed term '" + term + "' ('...' at most once)");
            sawEllipsis = true;
            out.push_back(kEllipsis);
            i += 2;
        } else if (std::isalpha(static_cast<unsigned char>(c))) {
            out.push_back(int(c));
        } else {
            return Status::Error("unexpected character '" + std::string(1, c) + "' in term '" + term + "'");
        }
    }
    return Status::Ok();
}

}  // namespace

Status planEinsum(const std::string& equation, const std::vector<Shape>& shapes, EinsumPlan& plan) {
    plan = EinsumPlan{};
    const size_t arrow = equation.find("->");
    const std::string lhs = equation.substr(0, arrow);
    std::vector<std::string> terms;
    for (size_t start = 0;;) {
        const size_t comma = lhs.find(',', start);
        terms.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (terms.size() != shapes.size())
        return Status::Error("equation '" + equation + "' has " + std::to_string(terms.size()) + " inputs, got " +
                             std::to_string(shapes.size()));

    // Parse every input; find the broadcast ("...") rank.
    std::vector<std::vector<int>> parsed(terms.size());
    std::vector<int64_t> ellRank(terms.size(), 0);
    int64_t maxEll = 0;
    for (size_t i = 0; i < terms.size(); ++i) {
        KILN_RETURN_IF_ERROR(parseTerm(terms[i], parsed[i]));
        const bool hasEll = std::count(parsed[i].begin(), parsed[i].end(), kEllipsis) > 0;
        const int64_t letters = int64_t(parsed[i].size()) - (hasEll ? 1 : 0);
        const int64_t rank = int64_t(shapes[i].size());
        if (hasEll ? rank < letters : rank != letters)
            return Status::Error("input " + std::to_string(i) + " " + shapeToString(shapes[i]) +
                                 " does not match term '" + terms[i] + "'");
        ellRank[i] = rank - letters;
        maxEll = std::max(maxEll, ellRank[i]);
    }
    plan.labelSize.assign(size_t(kLetters + maxEll), -1);
    std::vector<int> count(size_t(kLetters), 0);
    // Ellipsis dims broadcast numpy-style (right-aligned, 1 stretches).
    for (int64_t e = 0; e < maxEll; ++e) plan.labelSize[size_t(kLetters + e)] = 1;
    for (size_t i = 0; i < terms.size(); ++i) {
        std::vector<int> labels;
        size_t axis = 0;
        for (int t : parsed[i]) {
            if (t == kEllipsis) {
                for (int64_t e = 0; e < ellRank[i]; ++e, ++axis) {
                    const int label = int(kLetters + maxEll - ellRank[i] + e);
                    const int64_t n = shapes[i][axis];
                    int64_t& size = plan.labelSize[size_t(label)];
                    if (n != 1) {
                        if (size != 1 && size != n && size >= 0 && n >= 0)
                            return Status::Error("broadcast dims of the inputs do not match at input " +
                                                 std::to_string(i) + " " + shapeToString(shapes[i]));
                        size = n;
                    }
                    labels.push_back(label);
                }
                continue;
            }
            const int64_t n = shapes[i][axis++];
            int64_t& size = plan.labelSize[size_t(t)];
            // -1: an extent known at run time only (data-dependent); it matches anything.
            if (size >= 0 && n >= 0 && size != n)
                return Status::Error("label '" + std::string(1, char(t)) + "' has extents " + std::to_string(size) +
                                     " and " + std::to_string(n));
            if (size < 0) size = n;
            ++count[size_t(t)];
            labels.push_back(t);
        }
        plan.inputLabels.push_back(labels);
    }

    std::vector<bool> inOutput(plan.labelSize.size(), false);
    if (arrow != std::string::npos) {
        std::vector<int> out;
        KILN_RETURN_IF_ERROR(parseTerm(equation.substr(arrow + 2), out));
        for (int t : out) {
            if (t == kEllipsis) {
                for (int64_t e = 0; e < maxEll; ++e) plan.outputLabels.push_back(int(kLetters + e));
                continue;
            }
            if (count[size_t(t)] == 0)
                return Status::Error("output label '" + std::string(1, char(t)) + "' is not in any input");
            if (inOutput[size_t(t)])
                return Status::Error("output label '" + std::string(1, char(t)) + "' appears twice");
            inOutput[size_t(t)] = true;
            plan.outputLabels.push_back(t);
        }
        // Broadcast dims left out of an explicit output are summed.
    } else {
        for (int64_t e = 0; e < maxEll; ++e) plan.outputLabels.push_back(int(kLetters + e));
        for (int c = 0; c < kLetters; ++c)
            if (count[size_t(c)] == 1) plan.outputLabels.push_back(c);
    }
    for (int l : plan.outputLabels) inOutput[size_t(l)] = true;
    for (size_t l = 0; l < plan.labelSize.size(); ++l) {
        const bool used = l >= size_t(kLetters) || count[l] > 0;
        if (used && !inOutput[l]) plan.sumLabels.push_back(int(l));
    }
    for (int l : plan.outputLabels) plan.outShape.push_back(plan.labelSize[size_t(l)]);
    if (plan.outShape.size() > size_t(kMaxRank)) return Status::Error("output rank exceeds the maximum rank");
    return Status::Ok();
}

Status inferEinsum(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    if (in.empty()) return Status::Error("needs at least one input");
    std::vector<Shape> shapes;
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i].dtype != in[0].dtype)
            return Status::Error("all inputs must have one dtype; input " + std::to_string(i) + " is " +
                                 std::string(dtypeName(in[i].dtype)));
        shapes.push_back(in[i].shape);
    }
    if (in[0].dtype == DType::kBool || in[0].dtype == DType::kFP8)
        return Status::Error("inputs must be numeric, got " + std::string(dtypeName(in[0].dtype)));
    if (!node.attrs.has("equation")) return Status::Error("the equation attribute is required");
    EinsumPlan plan;
    KILN_RETURN_IF_ERROR(planEinsum(node.attrs.getString("equation"), shapes, plan));
    out[0] = {in[0].dtype, plan.outShape, nullptr};
    return Status::Ok();
}

}  // namespace kiln::ir::nn
