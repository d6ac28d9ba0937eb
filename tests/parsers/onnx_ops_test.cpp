// kiln_onnx: op converters, each checked on the CPU against a reference computed here.
#include "onnx_test_util.h"

using namespace onnx_test;

TEST(OnnxOps, GemmAlphaBetaTransB) {
    const std::vector<float> x = {1, 2, 3, -1, 0, 2}, w = {1, 0, 1, 2, 1, 0, 0, -1, 1, 3, 3, 3}, c = {1, 2, 3, 4};
    std::vector<float> want(8);
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 4; ++j) {
            float s = 0;
            for (int k = 0; k < 3; ++k) s += x[i * 3 + k] * w[j * 3 + k];
            want[i * 4 + j] = 0.5f * s + 2.f * c[j];
        }
    auto n = opNode({"x", "w", "c"}, "Gemm", {attrF("alpha", 0.5f), attrF("beta", 2.f), attrI("transB", 1)});
    expectNear(runOp(n, {floatInit("w", {4, 3}, w), floatInit("c", {4}, c)}, {2, 3}, x, 13), want);
}

TEST(OnnxOps, BatchNormalization) {
    const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8};
    const std::vector<float> sc = {2, 0.5f}, b = {1, -1}, mean = {2, 6}, var = {4, 0.25f};
    std::vector<float> want(8);
    for (int i = 0; i < 8; ++i) {
        const int ch = i / 4;
        want[i] = (x[i] - mean[ch]) / std::sqrt(var[ch] + 1e-5f) * sc[ch] + b[ch];
    }
    auto n = opNode({"x", "s", "b", "m", "v"}, "BatchNormalization", {});
    expectNear(runOp(n, {floatInit("s", {2}, sc), floatInit("b", {2}, b), floatInit("m", {2}, mean), floatInit("v", {2}, var)},
                     {1, 2, 2, 2}, x, 9),
               want);
}

TEST(OnnxOps, LegacySoftmaxFlattensFromAxis) {
    const std::vector<float> x = {1, 2, 3, 4, 5, 6, 0, 0, 1, 1, 2, 2};
    std::vector<float> want(12);
    for (int r = 0; r < 2; ++r) {  // opset 11, axis 1 on [2,3,2]: softmax over each row of 6
        float s = 0;
        for (int i = 0; i < 6; ++i) s += std::exp(x[r * 6 + i]);
        for (int i = 0; i < 6; ++i) want[r * 6 + i] = std::exp(x[r * 6 + i]) / s;
    }
    expectNear(runOp(opNode({"x"}, "Softmax", {}), {}, {2, 3, 2}, x, 11), want);
}

TEST(OnnxOps, ClipWithConstantInputs) {
    const std::vector<float> x = {-3, -1, 0, 2, 5, 7};
    auto n = opNode({"x", "lo", "hi"}, "Clip", {});
    expectNear(runOp(n, {floatInit("lo", {}, {-1.5f}), floatInit("hi", {}, {4.f})}, {2, 3}, x, 13),
               {-1.5f, -1, 0, 2, 4, 4});
}

TEST(OnnxOps, TransposeWithPerm) {
    const std::vector<float> x = {1, 2, 3, 4, 5, 6};
    expectNear(runOp(opNode({"x"}, "Transpose", {attrIs("perm", {1, 0})}), {}, {2, 3}, x, 13), {1, 4, 2, 5, 3, 6});
}

TEST(OnnxOps, SliceWithConstantInputs) {
    const std::vector<float> x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    auto n = opNode({"x", "st", "en", "ax"}, "Slice", {});
    // [3, 4], axis 1 from 1 to -1 -> columns 1, 2.
    expectNear(runOp(n, {int64Init("st", {1}), int64Init("en", {-1}), int64Init("ax", {1})}, {3, 4}, x, 13),
               {1, 2, 5, 6, 9, 10});
}

TEST(OnnxOps, ConcatWithInitializer) {
    auto n = opNode({"x", "k"}, "Concat", {attrI("axis", -1)});
    expectNear(runOp(n, {floatInit("k", {2, 1}, {9, 8})}, {2, 2}, {1, 2, 3, 4}, 13), {1, 2, 9, 3, 4, 8});
}

TEST(OnnxOps, AveragePoolCountIncludePad) {
    const std::vector<float> x = {1, 2, 3, 4};  // [1,1,2,2], 2x2 window, pad 1 at the start, stride 1
    auto make = [](int64_t cip) {
        return opNode({"x"}, "AveragePool",
                      {attrIs("kernel_shape", {2, 2}), attrIs("pads", {1, 1, 0, 0}), attrIs("strides", {1, 1}),
                       attrI("count_include_pad", cip)});
    };
    expectNear(runOp(make(0), {}, {1, 1, 2, 2}, x, 11), {1, 1.5f, 2, 2.5f});
    expectNear(runOp(make(1), {}, {1, 1, 2, 2}, x, 11), {0.25f, 0.75f, 1, 2.5f});
}

TEST(OnnxOps, ShapeFoldsIntoReshapeAndSqueezeUnsqueeze) {
    // x[2,3] -> Unsqueeze(0) [1,2,3] -> Shape -> Reshape(x, shape) -> Squeeze(0) -> Flatten(axis 0) -> y [1,6]
    const std::vector<float> x = {1, 2, 3, 4, 5, 6};
    std::vector<std::string> nodes = {
        chainNode({"x", "ax0"}, "u", "Unsqueeze"), chainNode({"u"}, "shp", "Shape"),
        chainNode({"x", "shp"}, "r", "Reshape"),   chainNode({"r", "ax0"}, "s", "Squeeze"),
        chainNode({"s"}, "y", "Flatten", {attrI("axis", 0)}),
    };
    expectNear(runNodes(nodes, {int64Init("ax0", {0})}, {2, 3}, x, 13), x);
}

TEST(OnnxOps, GatherReduceMeanMaxLeakyRelu) {
    const std::vector<float> x = {1, -2, 3, -4, 5, -6};  // [2,3]
    std::vector<std::string> nodes = {
        chainNode({"x", "idx"}, "g", "Gather", {attrI("axis", 1)}),         // columns 2, 0 -> [2,2]
        chainNode({"g"}, "m", "ReduceMean", {attrIs("axes", {1}), attrI("keepdims", 1)}),  // [2,1]
        chainNode({"g", "m", "g"}, "mx", "Max"),
        chainNode({"mx"}, "y", "LeakyRelu", {attrF("alpha", 0.5f)}),
    };
    // g = [[3,1],[-6,-4]]; m = [[2],[-5]]; max = [[3,2],[-5,-4]]; leaky: [[3,2],[-2.5,-2]]
    expectNear(runNodes(nodes, {int64Init("idx", {2, 0})}, {2, 3}, x, 13), {3, 2, -2.5f, -2});
}

TEST(OnnxOps, ConstantNodeCastAndLogSoftmax) {
    std::string c = node({}, {"k"}, "const", "Constant");
    putBytes(c, 5, attrF("value_float", 2.f).bytes);
    std::vector<std::string> nodes = {
        c, chainNode({"x", "k"}, "p", "Mul"), chainNode({"p"}, "ci", "Cast", {attrI("to", 6)}),
        chainNode({"ci"}, "cf", "Cast", {attrI("to", 1)}), chainNode({"cf"}, "y", "LogSoftmax", {attrI("axis", -1)}),
    };
    const std::vector<float> x = {0.3f, 1.2f, -0.7f};  // *2 -> 0.6, 2.4, -1.4 -> int 0, 2, -1
    const float lse = std::log(std::exp(0.f) + std::exp(2.f) + std::exp(-1.f));
    expectNear(runNodes(nodes, {}, {1, 3}, x, 13), {-lse, 2 - lse, -1 - lse});
}

TEST(OnnxOps, GroupedConvWithPadsAndConvTranspose) {
    // x [1,2,2,2]; grouped 1x1 conv (group 2) with pads 1 at the end: out [1,2,3,3].
    const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8};
    auto conv = opNode({"x", "w", "b"}, "Conv", {attrI("group", 2), attrIs("pads", {0, 0, 1, 1})});
    auto y = runOp(conv, {floatInit("w", {2, 1, 1, 1}, {2, -1}), floatInit("b", {2}, {0.5f, 1})}, {1, 2, 2, 2}, x, 11);
    expectNear(y, {2.5f, 4.5f, 0.5f, 6.5f, 8.5f, 0.5f, 0.5f, 0.5f, 0.5f, -4, -5, 1, -6, -7, 1, 1, 1, 1});
    // ConvTranspose 2x2 stride 2 with ones: every input pixel becomes a 2x2 block.
    auto ct = opNode({"x", "w"}, "ConvTranspose", {attrIs("strides", {2, 2})});
    auto z = runOp(ct, {floatInit("w", {2, 1, 2, 2}, std::vector<float>(8, 1.f))}, {1, 2, 2, 2}, x, 11);
    ASSERT_EQ(z.size(), 16u);
    EXPECT_FLOAT_EQ(z[0], 6);   // 1 + 5
    EXPECT_FLOAT_EQ(z[3], 8);   // 2 + 6
    EXPECT_FLOAT_EQ(z[15], 12); // 4 + 8
}

TEST(OnnxOps, LayerAndInstanceNormalization) {
    const std::vector<float> x = {1, 2, 3, 4, 2, 2, 2, 6};  // [2,4]
    auto ln = opNode({"x", "s", "b"}, "LayerNormalization", {attrF("epsilon", 0.f)});
    auto y = runOp(ln, {floatInit("s", {4}, {1, 1, 1, 2}), floatInit("b", {4}, {0, 0, 0, 1})}, {2, 4}, x, 17);
    const float r = 1.f / std::sqrt(1.25f);  // row 0: mean 2.5, var 1.25
    expectNear(y, {-1.5f * r, -0.5f * r, 0.5f * r, 2 * 1.5f * r + 1, -1 / std::sqrt(3.f), -1 / std::sqrt(3.f),
                   -1 / std::sqrt(3.f), 2 * 3 / std::sqrt(3.f) + 1});
    auto in = opNode({"x", "s", "b"}, "InstanceNormalization", {attrF("epsilon", 0.f)});
    auto z = runOp(in, {floatInit("s", {2}, {1, 1}), floatInit("b", {2}, {0, 0})}, {1, 2, 4}, x, 11);
    expectNear(z, {-1.5f * r, -0.5f * r, 0.5f * r, 1.5f * r, -1 / std::sqrt(3.f), -1 / std::sqrt(3.f),
                   -1 / std::sqrt(3.f), 3 / std::sqrt(3.f)});
}

TEST(OnnxOps, PadSplitArgMaxChain) {
    // x [1,4] -> Pad (0, 1 | 0, 2) -> [1,7] -> Split axis 1 [3,4] -> second part -> ArgMax axis 1 keepdims 0 -> Cast.
    const std::vector<float> x = {5, 1, 9, 2};
    std::string split = node({"p", "sizes"}, {"a", "b"}, "split", "Split");
    putBytes(split, 5, attrI("axis", 1).bytes);
    std::vector<std::string> nodes = {
        chainNode({"x", "pads"}, "p", "Pad"), split,
        chainNode({"b"}, "am", "ArgMax", {attrI("axis", 1), attrI("keepdims", 0)}),
        chainNode({"am"}, "y", "Cast", {attrI("to", 1)}),
    };
    // p = [0,5,1,9,2,0,0]; b = [9,2,0,0] -> argmax 0.
    expectNear(runNodes(nodes, {int64Init("pads", {0, 1, 0, 2}), int64Init("sizes", {3, 4})}, {1, 4}, x, 13), {0});
    std::vector<std::string> first = {
        chainNode({"x", "pads"}, "p", "Pad"), split, chainNode({"a"}, "y", "Identity")};
    expectNear(runNodes(first, {int64Init("pads", {0, 1, 0, 2}), int64Init("sizes", {3, 4})}, {1, 4}, x, 13), {0, 5, 1});
}

TEST(OnnxOps, ResizeNearestWithScales) {
    auto n = opNode({"x", "", "sc"}, "Resize", {});
    const std::vector<float> x = {1, 2, 3, 4};
    expectNear(runOp(n, {floatInit("sc", {4}, {1, 1, 2, 2})}, {1, 1, 2, 2}, x, 13),
               {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
}

TEST(OnnxOps, ExpandTileMeanHardSwishWhere) {
    // x [1,3] -> Expand to [2,3] -> Tile [1,2] -> [2,6]; Mean(x, e) broadcast; HardSwish; Where(x >= 0, x, 0).
    const std::vector<float> x = {-4, 0, 3};
    auto e = runNodes({chainNode({"x", "shape"}, "e", "Expand"), chainNode({"e", "reps"}, "y", "Tile")},
                      {int64Init("shape", {2, 1}), int64Init("reps", {1, 2})}, {1, 3}, x, 13);
    expectNear(e, {-4, 0, 3, -4, 0, 3, -4, 0, 3, -4, 0, 3});
    auto m = runNodes({chainNode({"x", "x", "k"}, "y", "Mean")}, {floatInit("k", {1}, {3})}, {1, 3}, x, 13);
    expectNear(m, {-5.f / 3, 1, 3});
    auto hs = runNodes({chainNode({"x"}, "y", "HardSwish")}, {}, {1, 3}, x, 14);
    expectNear(hs, {0, 0, 3});
    auto w = runNodes({chainNode({"x", "zero"}, "ge", "GreaterOrEqual"), chainNode({"ge", "x", "zero"}, "y", "Where")},
                      {floatInit("zero", {1}, {0})}, {1, 3}, x, 13);
    expectNear(w, {0, 0, 3});
}

TEST(OnnxOps, RangeAndConstantOfShapeFold) {
    // Range(0, 3, 1) -> [0,1,2] (int64) -> Cast -> + x; ConstantOfShape([3]) = zeros.
    std::vector<std::string> nodes = {
        chainNode({"s", "l", "d"}, "r", "Range"), chainNode({"r"}, "rf", "Cast", {attrI("to", 1)}),
        chainNode({"len"}, "z", "ConstantOfShape"), chainNode({"x", "rf"}, "a", "Add"), chainNode({"a", "z"}, "y", "Add"),
    };
    std::vector<std::string> inits = {int64Init("len", {3})};
    for (auto [name, v] : {std::pair{"s", 0}, {"l", 3}, {"d", 1}}) {
        std::string t;  // int64 scalar
        putInt(t, 2, 7);
        putBytes(t, 8, name);
        putInt(t, 7, uint64_t(v));
        inits.push_back(t);
    }
    expectNear(runNodes(nodes, inits, {1, 3}, {10, 20, 30}, 13), {10, 21, 32});
}

TEST(OnnxOps, ConstantOfShapeAboveTheParseTimeLimitRunsAsAFill) {
    // 2^22 + 1 floats of 2.5 (16 MiB + 4 bytes, over the parser's own fill
    // limit): a Fill layer computed at run time. y = x * max(z) + min(z).
    std::string value;  // TensorProto float [1] {2.5}
    putInt(value, 1, 1);
    putInt(value, 2, 1);
    const float v = 2.5f;
    putBytes(value, 9, std::string(reinterpret_cast<const char*>(&v), 4));
    Attr attr;
    putBytes(attr.bytes, 1, "value");
    putBytes(attr.bytes, 5, value);
    putInt(attr.bytes, 20, 4);  // TENSOR
    const std::vector<std::string> nodes = {chainNode({"len"}, "z", "ConstantOfShape", {attr}),
                                            chainNode({"z"}, "mx", "ReduceMax"), chainNode({"z"}, "mn", "ReduceMin"),
                                            chainNode({"x", "mx"}, "a", "Mul"), chainNode({"a", "mn"}, "y", "Add")};
    expectNear(runNodes(nodes, {int64Init("len", {(int64_t(1) << 22) + 1})}, {1, 3}, {1, 2, -3}, 13), {5, 7.5, -5});
}

TEST(OnnxOps, ReduceRecipesAndGatherElements) {
    const std::vector<float> x = {3, -4, 1, 2};  // [2,2]
    auto l2 = runOp(opNode({"x"}, "ReduceL2", {attrIs("axes", {1}), attrI("keepdims", 0)}), {}, {2, 2}, x, 13);
    expectNear(l2, {5, std::sqrt(5.f)});
    auto lse = runOp(opNode({"x"}, "ReduceLogSumExp", {attrIs("axes", {0})}), {}, {2, 2}, x, 13);
    expectNear(lse, {std::log(std::exp(3.f) + std::exp(1.f)), std::log(std::exp(-4.f) + std::exp(2.f))});
    std::string idx;  // int64 [2,2] = {{1, 0}, {0, 0}}
    putInt(idx, 1, 2);
    putInt(idx, 1, 2);
    putInt(idx, 2, 7);
    putBytes(idx, 8, "idx");
    for (int v : {1, 0, 0, 0}) putInt(idx, 7, uint64_t(v));
    auto ge = runOp(opNode({"x", "idx"}, "GatherElements", {attrI("axis", 1)}), {idx}, {2, 2}, x, 13);
    expectNear(ge, {-4, 3, 1, 1});
}

TEST(OnnxOps, SliceNegativeStepClampsLikeOnnx) {
    // starts -1 -> 4, ends INT64_MIN -> clamped to -1, step -2: indices 4, 2, 0.
    auto n = opNode({"x", "st", "en", "ax", "sp"}, "Slice", {});
    auto y = runOp(n, {int64Init("st", {-1}), int64Init("en", {INT64_MIN}), int64Init("ax", {1}), int64Init("sp", {-2})},
                   {1, 5}, {0, 1, 2, 3, 4}, 13);
    expectNear(y, {4, 2, 0});
    // starts past the end with a negative step clamp to n-1.
    auto z = runOp(n, {int64Init("st", {100}), int64Init("en", {1}), int64Init("ax", {1}), int64Init("sp", {-1})},
                   {1, 5}, {0, 1, 2, 3, 4}, 13);
    expectNear(z, {4, 3, 2});
}
