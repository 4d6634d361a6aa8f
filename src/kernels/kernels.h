// Kernels: the loops that do a step's arithmetic, behind one small interface, so that a faster
// implementation (oneDNN convolution, small-shape GEMM, fused bias+activation epilogues, fused
// softmax-CE, vectorised elementwise code) or a device backend replaces them in one place.
// Layers (src/layers/), losses (src/loss.cpp) and optimizers (src/optim/) plan shapes, params and
// buffers and call kernels in sequence; they hold no compute loops of their own.
//
// The rules every kernel follows:
//  * Raw pointers and sizes, plus a small POD struct for a geometry or a step's scalars
//    (WindowGeometry, ChannelShape, GroupLayout, SgdStep...). No Tensor, View, Layer or Param here.
//  * Templated on T and explicitly instantiated for float and double in its .cpp.
//  * No allocation: every buffer (im2col columns, softmax work rows, statistics) is planned by the
//    caller in setup() and passed in. A kernel does not throw on valid input.
//  * Each declaration's comment says what the kernel OVERWRITES and what it ACCUMULATES (+=),
//    following the layer contract (layer.h): dx overwritten, param grads accumulated.
//  * Deterministic for a given thread count: OpenMP splits only independent work (examples,
//    channels), never a sum; oneDNN (float GEMM and convolution) splits by shape and thread
//    count only, so a call repeats its bits.
//  * One exception to "no allocation": OnednnConv (conv_onednn.h) is a class that keeps oneDNN's
//    primitives and channel-blocked buffers per batch size, because making them compiles code.
//
// Where a faster implementation plugs in: replace a family's .cpp (or dispatch inside it, e.g. on
// shape or ISA) keeping the declarations; a device backend adds its own namespace with the same
// signatures. A faster implementation that rounds differently changes results and says so
// (float GEMM and convolution on oneDNN do: gemm.cpp, conv_onednn.h).
//
// kernels::reference (reference.h, reference_*.cpp) holds plain, obviously correct versions of the
// same kernels (std::exp, naive triple-loop GEMM, naive windows): tests/kernels/ compares each
// kernel with it on random inputs, in float and double. It is for tests, never for training.
//
// Families: gemm.h (GEMM: float over oneDNN, double over OpenBLAS), conv_onednn.h (float
// convolution on oneDNN's primitives), activation.h (elementwise activations, dropout's mask),
// conv_one_channel.h (a one-channel first layer's forward), row_dots.h (its weight gradient),
// dense.h (bias broadcast and gradient), conv.h (im2col, col2im, conv2d's chunk loops), pool.h
// (max, average, global average pooling), pool_c16.h (max pool over oneDNN's blocked layout), norm.h (batch, group/layer/instance and weight norm),
// softmax.h (softmax layers, softmax cross-entropy, mse), optim.h (optimizer updates, clipping,
// L-BFGS's vector operations). Beside the kernels, not one of them: spin_team.h, the threads the
// thread shards and the Batcher's prefetch run on (it starts threads).
#pragma once

#include "activation.h"
#include "conv.h"
#include "conv_one_channel.h"
#include "dense.h"
#include "gemm.h"
#include "norm.h"
#include "optim.h"
#include "row_dots.h"
#include "pool.h"
#include "pool_c16.h"
#include "softmax.h"
