# AOT ID: ['0_inference']
from ctypes import c_void_p, c_long, c_int
import torch
import math
import random
import os
import tempfile
from math import inf, nan
from cmath import nanj
from torch._inductor.hooks import run_intermediate_hooks
from torch._inductor.utils import maybe_profile
from torch._inductor.codegen.memory_planning import _align as align
from torch import device, empty_strided
from torch._inductor.async_compile import AsyncCompile
from torch._inductor.select_algorithm import extern_kernels

aten = torch.ops.aten
inductor_ops = torch.ops.inductor
_quantized = torch.ops._quantized
assert_size_stride = torch._C._dynamo.guards.assert_size_stride
assert_alignment = torch._C._dynamo.guards.assert_alignment
empty_strided_cpu = torch._C._dynamo.guards._empty_strided_cpu
empty_strided_cpu_pinned = torch._C._dynamo.guards._empty_strided_cpu_pinned
empty_strided_cuda = torch._C._dynamo.guards._empty_strided_cuda
empty_strided_xpu = torch._C._dynamo.guards._empty_strided_xpu
empty_strided_mtia = torch._C._dynamo.guards._empty_strided_mtia
reinterpret_tensor = torch._C._dynamo.guards._reinterpret_tensor
alloc_from_pool = torch.ops.inductor._alloc_from_pool
async_compile = AsyncCompile()
empty_strided_p2p = torch._C._distributed_c10d._SymmetricMemory.empty_strided_p2p


cpp_fused_add_cos_exp_expand_mul_neg_ones_like_sin_view_0 = async_compile.cpp_pybinding(['double*', 'const double*', 'const double*', 'double*'], r'''
#include <torch/csrc/inductor/cpp_prefix.h>
extern "C"  void  kernel(double* in_out_ptr1,
                       const double* in_ptr0,
                       const double* in_ptr1,
                       double* out_ptr0)
{
    std::atomic<int> inductor_cpu_integer_div_error{0};
    inductor_cpu_integer_div_error_flag = &inductor_cpu_integer_div_error;
    {
        #pragma GCC ivdep
        for(int64_t x0=static_cast<int64_t>(0L); x0<static_cast<int64_t>(1000L); x0+=static_cast<int64_t>(1L))
        {
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(1000L); x1+=static_cast<int64_t>(16L))
            {
                {
                    if(C10_LIKELY(x1 >= static_cast<int64_t>(0) && x1 < static_cast<int64_t>(992L)))
                    {
                        auto tmp0 = in_ptr0[static_cast<int64_t>(x0)];
                        auto tmp1 = at::vec::VectorizedN<double,2>::loadu(in_ptr1 + static_cast<int64_t>(x1), static_cast<int64_t>(16));
                        auto tmp2 = at::vec::VectorizedN<double,2>(tmp0);
                        auto tmp3 = tmp2 * tmp1;
                        auto tmp4 = tmp3.sin();
                        auto tmp5 = tmp4.exp();
                        auto tmp6 = static_cast<double>(1.0);
                        auto tmp7 = at::vec::VectorizedN<double,2>(tmp6);
                        auto tmp8 = tmp7 * tmp5;
                        auto tmp9 = double(tmp6 * tmp0);
                        auto tmp10 = tmp3.cos();
                        auto tmp11 = at::vec::VectorizedN<double,2>(tmp9);
                        auto tmp12 = tmp11 * tmp10;
                        auto tmp13 = tmp12 * tmp5;
                        auto tmp14 = tmp13 * tmp7;
                        auto tmp15 = tmp7 * tmp1;
                        auto tmp16 = tmp14 * tmp15;
                        auto tmp17 = tmp8 + tmp16;
                        auto tmp18 = tmp4.neg();
                        auto tmp19 = tmp17 * tmp18;
                        auto tmp20 = tmp12.neg();
                        auto tmp21 = tmp15 * tmp8;
                        auto tmp22 = tmp20 * tmp21;
                        auto tmp23 = tmp19 + tmp22;
                        auto tmp24 = tmp11 * tmp18;
                        auto tmp25 = tmp24 * tmp15;
                        auto tmp26 = tmp10 + tmp25;
                        auto tmp27 = tmp26 * tmp7;
                        auto tmp28 = tmp27 * tmp5;
                        auto tmp29 = tmp15 * tmp10;
                        auto tmp30 = tmp29 * tmp7;
                        auto tmp31 = tmp13 * tmp30;
                        auto tmp32 = tmp28 + tmp31;
                        auto tmp33 = tmp32 * tmp10;
                        auto tmp34 = tmp23 + tmp33;
                        auto tmp35 = tmp30 * tmp5;
                        auto tmp36 = tmp24 * tmp35;
                        auto tmp37 = tmp34 + tmp36;
                        auto tmp38 = tmp37 * tmp7;
                        auto tmp39 = tmp15 * tmp18;
                        auto tmp40 = tmp14 * tmp39;
                        auto tmp41 = tmp29 * tmp5;
                        auto tmp42 = tmp41 * tmp7;
                        auto tmp43 = tmp24 * tmp42;
                        auto tmp44 = tmp40 + tmp43;
                        auto tmp45 = tmp13 * tmp29;
                        auto tmp46 = tmp25 + tmp10;
                        auto tmp47 = tmp46 * tmp5;
                        auto tmp48 = tmp45 + tmp47;
                        auto tmp49 = tmp48 * tmp7;
                        auto tmp50 = tmp49 * tmp10;
                        auto tmp51 = tmp44 + tmp50;
                        auto tmp52 = tmp20 * tmp15;
                        auto tmp53 = tmp52 + tmp18;
                        auto tmp54 = tmp53 * tmp8;
                        auto tmp55 = tmp51 + tmp54;
                        auto tmp56 = tmp55 * tmp7;
                        auto tmp57 = tmp38 + tmp56;
                        auto tmp58 = tmp29 * tmp30;
                        auto tmp59 = tmp39 * tmp15;
                        auto tmp60 = tmp59 * tmp7;
                        auto tmp61 = tmp58 + tmp60;
                        auto tmp62 = tmp61 * tmp5;
                        auto tmp63 = tmp11 * tmp62;
                        auto tmp64 = tmp63 * tmp18;
                        auto tmp65 = tmp42 * tmp15;
                        auto tmp66 = tmp11 * tmp65;
                        auto tmp67 = tmp66.neg();
                        auto tmp68 = tmp67 * tmp10;
                        auto tmp69 = tmp64 + tmp68;
                        auto tmp70 = tmp15 * tmp21;
                        auto tmp71 = tmp70.neg();
                        auto tmp72 = tmp11 * tmp71;
                        auto tmp73 = tmp72 * tmp18;
                        auto tmp74 = tmp69 + tmp73;
                        auto tmp75 = tmp15 * tmp35;
                        auto tmp76 = tmp11 * tmp75;
                        auto tmp77 = tmp76.neg();
                        auto tmp78 = tmp77 * tmp10;
                        auto tmp79 = tmp74 + tmp78;
                        auto tmp80 = tmp32 * tmp15;
                        auto tmp81 = tmp80 + tmp35;
                        auto tmp82 = tmp81 * tmp18;
                        auto tmp83 = tmp79 + tmp82;
                        auto tmp84 = tmp17 * tmp15;
                        auto tmp85 = tmp84 + tmp21;
                        auto tmp86 = tmp85.neg();
                        auto tmp87 = tmp86 * tmp10;
                        auto tmp88 = tmp83 + tmp87;
                        auto tmp89 = tmp49 * tmp15;
                        auto tmp90 = tmp42 + tmp89;
                        auto tmp91 = tmp90 * tmp18;
                        auto tmp92 = tmp88 + tmp91;
                        auto tmp93 = tmp12 * tmp61;
                        auto tmp94 = tmp27 * tmp29;
                        auto tmp95 = tmp93 + tmp94;
                        auto tmp96 = tmp46 * tmp30;
                        auto tmp97 = tmp95 + tmp96;
                        auto tmp98 = tmp53 * tmp15;
                        auto tmp99 = tmp39 + tmp98;
                        auto tmp100 = tmp99 * tmp7;
                        auto tmp101 = tmp97 + tmp100;
                        auto tmp102 = tmp101 * tmp5;
                        auto tmp103 = tmp102 * tmp10;
                        auto tmp104 = tmp92 + tmp103;
                        auto tmp105 = tmp104 * tmp2;
                        auto tmp106 = tmp57 + tmp105;
                        tmp5.store(out_ptr0 + static_cast<int64_t>(x1 + 1000L*x0), static_cast<int64_t>(16));
                        tmp106.store(in_out_ptr1 + static_cast<int64_t>(x1 + 1000L*x0), static_cast<int64_t>(16));
                    }
                    if(C10_UNLIKELY(x1 >= static_cast<int64_t>(992L) && x1 < static_cast<int64_t>(1000L)))
                    {
                        auto tmp0 = in_ptr0[static_cast<int64_t>(x0)];
                        auto tmp1 = at::vec::VectorizedN<double,2>::loadu(in_ptr1 + static_cast<int64_t>(x1), static_cast<int64_t>(8L));
                        auto tmp2 = at::vec::VectorizedN<double,2>(tmp0);
                        auto tmp3 = tmp2 * tmp1;
                        auto tmp4 = tmp3.sin();
                        auto tmp5 = tmp4.exp();
                        auto tmp6 = static_cast<double>(1.0);
                        auto tmp7 = at::vec::VectorizedN<double,2>(tmp6);
                        auto tmp8 = tmp7 * tmp5;
                        auto tmp9 = double(tmp6 * tmp0);
                        auto tmp10 = tmp3.cos();
                        auto tmp11 = at::vec::VectorizedN<double,2>(tmp9);
                        auto tmp12 = tmp11 * tmp10;
                        auto tmp13 = tmp12 * tmp5;
                        auto tmp14 = tmp13 * tmp7;
                        auto tmp15 = tmp7 * tmp1;
                        auto tmp16 = tmp14 * tmp15;
                        auto tmp17 = tmp8 + tmp16;
                        auto tmp18 = tmp4.neg();
                        auto tmp19 = tmp17 * tmp18;
                        auto tmp20 = tmp12.neg();
                        auto tmp21 = tmp15 * tmp8;
                        auto tmp22 = tmp20 * tmp21;
                        auto tmp23 = tmp19 + tmp22;
                        auto tmp24 = tmp11 * tmp18;
                        auto tmp25 = tmp24 * tmp15;
                        auto tmp26 = tmp10 + tmp25;
                        auto tmp27 = tmp26 * tmp7;
                        auto tmp28 = tmp27 * tmp5;
                        auto tmp29 = tmp15 * tmp10;
                        auto tmp30 = tmp29 * tmp7;
                        auto tmp31 = tmp13 * tmp30;
                        auto tmp32 = tmp28 + tmp31;
                        auto tmp33 = tmp32 * tmp10;
                        auto tmp34 = tmp23 + tmp33;
                        auto tmp35 = tmp30 * tmp5;
                        auto tmp36 = tmp24 * tmp35;
                        auto tmp37 = tmp34 + tmp36;
                        auto tmp38 = tmp37 * tmp7;
                        auto tmp39 = tmp15 * tmp18;
                        auto tmp40 = tmp14 * tmp39;
                        auto tmp41 = tmp29 * tmp5;
                        auto tmp42 = tmp41 * tmp7;
                        auto tmp43 = tmp24 * tmp42;
                        auto tmp44 = tmp40 + tmp43;
                        auto tmp45 = tmp13 * tmp29;
                        auto tmp46 = tmp25 + tmp10;
                        auto tmp47 = tmp46 * tmp5;
                        auto tmp48 = tmp45 + tmp47;
                        auto tmp49 = tmp48 * tmp7;
                        auto tmp50 = tmp49 * tmp10;
                        auto tmp51 = tmp44 + tmp50;
                        auto tmp52 = tmp20 * tmp15;
                        auto tmp53 = tmp52 + tmp18;
                        auto tmp54 = tmp53 * tmp8;
                        auto tmp55 = tmp51 + tmp54;
                        auto tmp56 = tmp55 * tmp7;
                        auto tmp57 = tmp38 + tmp56;
                        auto tmp58 = tmp29 * tmp30;
                        auto tmp59 = tmp39 * tmp15;
                        auto tmp60 = tmp59 * tmp7;
                        auto tmp61 = tmp58 + tmp60;
                        auto tmp62 = tmp61 * tmp5;
                        auto tmp63 = tmp11 * tmp62;
                        auto tmp64 = tmp63 * tmp18;
                        auto tmp65 = tmp42 * tmp15;
                        auto tmp66 = tmp11 * tmp65;
                        auto tmp67 = tmp66.neg();
                        auto tmp68 = tmp67 * tmp10;
                        auto tmp69 = tmp64 + tmp68;
                        auto tmp70 = tmp15 * tmp21;
                        auto tmp71 = tmp70.neg();
                        auto tmp72 = tmp11 * tmp71;
                        auto tmp73 = tmp72 * tmp18;
                        auto tmp74 = tmp69 + tmp73;
                        auto tmp75 = tmp15 * tmp35;
                        auto tmp76 = tmp11 * tmp75;
                        auto tmp77 = tmp76.neg();
                        auto tmp78 = tmp77 * tmp10;
                        auto tmp79 = tmp74 + tmp78;
                        auto tmp80 = tmp32 * tmp15;
                        auto tmp81 = tmp80 + tmp35;
                        auto tmp82 = tmp81 * tmp18;
                        auto tmp83 = tmp79 + tmp82;
                        auto tmp84 = tmp17 * tmp15;
                        auto tmp85 = tmp84 + tmp21;
                        auto tmp86 = tmp85.neg();
                        auto tmp87 = tmp86 * tmp10;
                        auto tmp88 = tmp83 + tmp87;
                        auto tmp89 = tmp49 * tmp15;
                        auto tmp90 = tmp42 + tmp89;
                        auto tmp91 = tmp90 * tmp18;
                        auto tmp92 = tmp88 + tmp91;
                        auto tmp93 = tmp12 * tmp61;
                        auto tmp94 = tmp27 * tmp29;
                        auto tmp95 = tmp93 + tmp94;
                        auto tmp96 = tmp46 * tmp30;
                        auto tmp97 = tmp95 + tmp96;
                        auto tmp98 = tmp53 * tmp15;
                        auto tmp99 = tmp39 + tmp98;
                        auto tmp100 = tmp99 * tmp7;
                        auto tmp101 = tmp97 + tmp100;
                        auto tmp102 = tmp101 * tmp5;
                        auto tmp103 = tmp102 * tmp10;
                        auto tmp104 = tmp92 + tmp103;
                        auto tmp105 = tmp104 * tmp2;
                        auto tmp106 = tmp57 + tmp105;
                        tmp5.store(out_ptr0 + static_cast<int64_t>(x1 + 1000L*x0), static_cast<int64_t>(8L));
                        tmp106.store(in_out_ptr1 + static_cast<int64_t>(x1 + 1000L*x0), static_cast<int64_t>(8L));
                    }
                }
            }
        }
    }
    inductor_cpu_integer_div_error_flag = nullptr;
    inductor_cpu_throw_if_integer_div_error(inductor_cpu_integer_div_error);
}
''')


async_compile.wait(globals())
del async_compile

class Runner:
    def __init__(self, partitions):
        self.partitions = partitions

    def recursively_apply_fns(self, fns):
        new_callables = []
        for fn, c in zip(fns, self.partitions):
            new_callables.append(fn(c))
        self.partitions = new_callables

    def call(self, args):
        arg0_1, arg1_1 = args
        args.clear()
        assert_size_stride(arg0_1, (1000, ), (1, ), 'input')
        assert_size_stride(arg1_1, (1000, ), (1, ), 'input')
        buf0 = empty_strided_cpu((1000, 1000), (1000, 1), torch.float64)
        buf2 = empty_strided_cpu((1000, 1000), (1000, 1), torch.float64)
        buf5 = buf2; del buf2  # reuse
        cpp_fused_add_cos_exp_expand_mul_neg_ones_like_sin_view_0(buf5, arg0_1, arg1_1, buf0)
        del arg0_1
        del arg1_1
        return (buf0, buf5, )

runner = Runner(partitions=[])
call = runner.call
recursively_apply_fns = runner.recursively_apply_fns


def get_args():
    from torch._dynamo.testing import rand_strided
    arg0_1 = rand_strided((1000, ), (1, ), device='cpu', dtype=torch.float64)
    arg1_1 = rand_strided((1000, ), (1, ), device='cpu', dtype=torch.float64)
    return [arg0_1, arg1_1]


def benchmark_compiled_module(args, times=10, repeat=10):
    from torch._inductor.utils import print_performance
    fn = lambda: call(list(args))
    return print_performance(fn, times=times, repeat=repeat, device='cpu')


if __name__ == "__main__":
    from torch._inductor.wrapper_benchmark import compiled_module_main
    args = get_args()
    compiled_module_main('None', lambda times, repeat: benchmark_compiled_module(args, times=times, repeat=repeat))
