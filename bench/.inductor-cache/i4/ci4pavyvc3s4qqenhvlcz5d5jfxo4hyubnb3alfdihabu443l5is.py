# AOT ID: ['1_inference']
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


cpp_fused_add_cos_expand_mul_neg_ones_like_pow_sin_view_0 = async_compile.cpp_pybinding(['const double*', 'const double*', 'double*', 'double*', 'double*', 'double*'], r'''
#include <torch/csrc/inductor/cpp_prefix.h>
extern "C"  void  kernel(const double* in_ptr0,
                       const double* in_ptr1,
                       double* out_ptr0,
                       double* out_ptr1,
                       double* out_ptr2,
                       double* out_ptr3)
{
    std::atomic<int> inductor_cpu_integer_div_error{0};
    inductor_cpu_integer_div_error_flag = &inductor_cpu_integer_div_error;
    {
        #pragma GCC ivdep
        for(int64_t x0=static_cast<int64_t>(0L); x0<static_cast<int64_t>(200L); x0+=static_cast<int64_t>(1L))
        {
            for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(200L); x1+=static_cast<int64_t>(16L))
            {
                {
                    if(C10_LIKELY(x1 >= static_cast<int64_t>(0) && x1 < static_cast<int64_t>(192L)))
                    {
                        auto tmp0 = in_ptr0[static_cast<int64_t>(x0)];
                        auto tmp1 = at::vec::VectorizedN<double,2>::loadu(in_ptr1 + static_cast<int64_t>(x1), static_cast<int64_t>(16));
                        auto tmp2 = at::vec::VectorizedN<double,2>(tmp0);
                        auto tmp3 = tmp2 * tmp1;
                        auto tmp4 = tmp3.sin();
                        auto tmp5 = double(tmp0 * tmp0);
                        auto tmp6 = at::vec::VectorizedN<double,2>(tmp5);
                        auto tmp7 = tmp6 * tmp1;
                        auto tmp8 = tmp4 + tmp7;
                        auto tmp9 = static_cast<double>(1.0);
                        auto tmp10 = at::vec::VectorizedN<double,2>(tmp9);
                        auto tmp11 = tmp10 * tmp1;
                        auto tmp12 = static_cast<double>(2.0);
                        auto tmp13 = double(tmp0 * tmp12);
                        auto tmp14 = at::vec::VectorizedN<double,2>(tmp13);
                        auto tmp15 = tmp11 * tmp14;
                        auto tmp16 = tmp3.cos();
                        auto tmp17 = tmp10 * tmp16;
                        auto tmp18 = tmp17 * tmp1;
                        auto tmp19 = tmp15 + tmp18;
                        auto tmp20 = double(tmp9 * tmp5);
                        auto tmp21 = tmp17 * tmp2;
                        auto tmp22 = at::vec::VectorizedN<double,2>(tmp20);
                        auto tmp23 = tmp22 + tmp21;
                        auto tmp24 = tmp10 * tmp17;
                        auto tmp25 = double(tmp9 * tmp13);
                        auto tmp26 = double(tmp25 * tmp9);
                        auto tmp27 = at::vec::VectorizedN<double,2>(tmp26);
                        auto tmp28 = tmp24 + tmp27;
                        auto tmp29 = tmp11 * tmp10;
                        auto tmp30 = tmp4.neg();
                        auto tmp31 = tmp29 * tmp30;
                        auto tmp32 = tmp31 * tmp2;
                        auto tmp33 = tmp28 + tmp32;
                        tmp8.store(out_ptr0 + static_cast<int64_t>(x1 + 200L*x0), static_cast<int64_t>(16));
                        tmp19.store(out_ptr1 + static_cast<int64_t>(x1 + 200L*x0), static_cast<int64_t>(16));
                        tmp23.store(out_ptr2 + static_cast<int64_t>(x1 + 200L*x0), static_cast<int64_t>(16));
                        tmp33.store(out_ptr3 + static_cast<int64_t>(x1 + 200L*x0), static_cast<int64_t>(16));
                    }
                    if(C10_UNLIKELY(x1 >= static_cast<int64_t>(192L) && x1 < static_cast<int64_t>(200L)))
                    {
                        auto tmp0 = in_ptr0[static_cast<int64_t>(x0)];
                        auto tmp1 = at::vec::VectorizedN<double,2>::loadu(in_ptr1 + static_cast<int64_t>(x1), static_cast<int64_t>(8L));
                        auto tmp2 = at::vec::VectorizedN<double,2>(tmp0);
                        auto tmp3 = tmp2 * tmp1;
                        auto tmp4 = tmp3.sin();
                        auto tmp5 = double(tmp0 * tmp0);
                        auto tmp6 = at::vec::VectorizedN<double,2>(tmp5);
                        auto tmp7 = tmp6 * tmp1;
                        auto tmp8 = tmp4 + tmp7;
                        auto tmp9 = static_cast<double>(1.0);
                        auto tmp10 = at::vec::VectorizedN<double,2>(tmp9);
                        auto tmp11 = tmp10 * tmp1;
                        auto tmp12 = static_cast<double>(2.0);
                        auto tmp13 = double(tmp0 * tmp12);
                        auto tmp14 = at::vec::VectorizedN<double,2>(tmp13);
                        auto tmp15 = tmp11 * tmp14;
                        auto tmp16 = tmp3.cos();
                        auto tmp17 = tmp10 * tmp16;
                        auto tmp18 = tmp17 * tmp1;
                        auto tmp19 = tmp15 + tmp18;
                        auto tmp20 = double(tmp9 * tmp5);
                        auto tmp21 = tmp17 * tmp2;
                        auto tmp22 = at::vec::VectorizedN<double,2>(tmp20);
                        auto tmp23 = tmp22 + tmp21;
                        auto tmp24 = tmp10 * tmp17;
                        auto tmp25 = double(tmp9 * tmp13);
                        auto tmp26 = double(tmp25 * tmp9);
                        auto tmp27 = at::vec::VectorizedN<double,2>(tmp26);
                        auto tmp28 = tmp24 + tmp27;
                        auto tmp29 = tmp11 * tmp10;
                        auto tmp30 = tmp4.neg();
                        auto tmp31 = tmp29 * tmp30;
                        auto tmp32 = tmp31 * tmp2;
                        auto tmp33 = tmp28 + tmp32;
                        tmp8.store(out_ptr0 + static_cast<int64_t>(x1 + 200L*x0), static_cast<int64_t>(8L));
                        tmp19.store(out_ptr1 + static_cast<int64_t>(x1 + 200L*x0), static_cast<int64_t>(8L));
                        tmp23.store(out_ptr2 + static_cast<int64_t>(x1 + 200L*x0), static_cast<int64_t>(8L));
                        tmp33.store(out_ptr3 + static_cast<int64_t>(x1 + 200L*x0), static_cast<int64_t>(8L));
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
        assert_size_stride(arg0_1, (200, ), (1, ), 'input')
        assert_size_stride(arg1_1, (200, ), (1, ), 'input')
        buf0 = empty_strided_cpu((200, 200), (200, 1), torch.float64)
        buf1 = empty_strided_cpu((200, 200), (200, 1), torch.float64)
        buf2 = empty_strided_cpu((200, 200), (200, 1), torch.float64)
        buf3 = empty_strided_cpu((200, 200), (200, 1), torch.float64)
        cpp_fused_add_cos_expand_mul_neg_ones_like_pow_sin_view_0(arg0_1, arg1_1, buf0, buf1, buf2, buf3)
        del arg0_1
        del arg1_1
        return (buf0, buf1, buf2, buf3, )

runner = Runner(partitions=[])
call = runner.call
recursively_apply_fns = runner.recursively_apply_fns


def get_args():
    from torch._dynamo.testing import rand_strided
    arg0_1 = rand_strided((200, ), (1, ), device='cpu', dtype=torch.float64)
    arg1_1 = rand_strided((200, ), (1, ), device='cpu', dtype=torch.float64)
    return [arg0_1, arg1_1]


def benchmark_compiled_module(args, times=10, repeat=10):
    from torch._inductor.utils import print_performance
    fn = lambda: call(list(args))
    return print_performance(fn, times=times, repeat=repeat, device='cpu')


if __name__ == "__main__":
    from torch._inductor.wrapper_benchmark import compiled_module_main
    args = get_args()
    compiled_module_main('None', lambda times, repeat: benchmark_compiled_module(args, times=times, repeat=repeat))
