
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
        if(PyTuple_GET_SIZE(args) != 6) [[unlikely]]
            throw std::runtime_error("requires 6 args");
        kernel(parse_arg<double*>(args, 0), parse_arg<double*>(args, 1), parse_arg<double*>(args, 2), parse_arg<double*>(args, 3), parse_arg<double*>(args, 4), parse_arg<double*>(args, 5)); Py_RETURN_NONE;
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
