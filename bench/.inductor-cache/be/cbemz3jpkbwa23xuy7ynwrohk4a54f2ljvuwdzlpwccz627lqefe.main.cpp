
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

// Python bindings to call kernel():
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <sstream>
#include <cstdlib>
#include <cerrno>

// This is defined in guards.cpp so we don't need to import PyTorch headers that are slooow.
// We manually link it below to workaround issues with fbcode build.
static void* (*_torchinductor_pyobject_tensor_data_ptr)(PyObject* obj);

template <typename T> static inline T parse_arg(PyObject* args, size_t n) {
    static_assert(std::is_pointer_v<T>, "arg type must be pointer or long");
    return static_cast<T>(_torchinductor_pyobject_tensor_data_ptr(PyTuple_GET_ITEM(args, n)));
}
template <> inline int64_t parse_arg<int64_t>(PyObject* args, size_t n) {
    auto result = PyLong_AsSsize_t(PyTuple_GET_ITEM(args, n));
    if(result == -1 && PyErr_Occurred()) [[unlikely]]
        throw std::runtime_error("expected int arg");
    return result;
}
template <> inline uintptr_t parse_arg<uintptr_t>(PyObject* args, size_t n) {
    auto result = PyLong_AsVoidPtr(PyTuple_GET_ITEM(args, n));
    if(result == reinterpret_cast<void*>(-1) && PyErr_Occurred()) [[unlikely]]
        throw std::runtime_error("expected int arg");
    return reinterpret_cast<uintptr_t>(result);
}
template <> inline float parse_arg<float>(PyObject* args, size_t n) {
    auto result = PyFloat_AsDouble(PyTuple_GET_ITEM(args, n));
    if(result == -1.0 && PyErr_Occurred()) [[unlikely]]
        throw std::runtime_error("expected float arg");
    return static_cast<float>(result);
}



static PyObject* kernel_py(PyObject* self, PyObject* args) {
    try {
        if(!PyTuple_CheckExact(args)) [[unlikely]]
            throw std::runtime_error("tuple args required");
        if(PyTuple_GET_SIZE(args) != 4) [[unlikely]]
            throw std::runtime_error("requires 4 args");
        kernel(parse_arg<double*>(args, 0), parse_arg<double*>(args, 1), parse_arg<double*>(args, 2), parse_arg<double*>(args, 3)); Py_RETURN_NONE;
    } catch(std::exception const& e) {
        PyErr_SetString(PyExc_RuntimeError, e.what());
        return nullptr;
    } catch(...) {
        PyErr_SetString(PyExc_RuntimeError, "unhandled error");
        return nullptr;
    }
}

static PyMethodDef py_methods[] = {
    {"kernel", kernel_py, METH_VARARGS, ""},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef py_module =
    {PyModuleDef_HEAD_INIT, "kernel", NULL, -1, py_methods};

PyMODINIT_FUNC PyInit_kernel(void) {
    const char* str_addr = std::getenv("_TORCHINDUCTOR_PYOBJECT_TENSOR_DATA_PTR");
    if(!str_addr) {
        PyErr_SetString(PyExc_RuntimeError, "_TORCHINDUCTOR_PYOBJECT_TENSOR_DATA_PTR must be set");
        return nullptr;
    }

    char* endptr = nullptr;
    errno = 0;
    uintptr_t addr = std::strtoull(str_addr, &endptr, 10);
    if(errno != 0 || endptr == str_addr || addr == 0) {
        PyErr_SetString(PyExc_RuntimeError, "Failed to parse _TORCHINDUCTOR_PYOBJECT_TENSOR_DATA_PTR");
        return nullptr;
    }
    _torchinductor_pyobject_tensor_data_ptr =
        reinterpret_cast<decltype(_torchinductor_pyobject_tensor_data_ptr)>(addr);
    PyObject* module = PyModule_Create(&py_module);
    if (module == NULL) {
        return NULL;
    }
    #ifdef Py_GIL_DISABLED
        PyUnstable_Module_SetGIL(module, Py_MOD_GIL_NOT_USED);
    #endif
    return module;
}
