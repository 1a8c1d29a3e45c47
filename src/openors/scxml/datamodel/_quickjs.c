/* openors.scxml.datamodel._quickjs: QuickJS-ng contexts on one shared runtime.
 *
 * Built at install time against the QuickJS-ng sources of a pinned, hash-checked PyPI sdist
 * (setup.py says which). Why it exists: the PyPI binding gives every context its own runtime
 * (about 170 KiB each), reads the CPU clock with a system call on every call, and fails on some
 * values. Here:
 *
 * - One JSRuntime per process. A Context is a JSContext of it with its own global object and
 *   prototypes. Nothing from Python runs while JS runs (no callbacks), and the GIL is held
 *   throughout, so the runtime is never entered twice at once.
 * - Memory: every allocation goes through our allocator, which prefixes it with the account of the
 *   context that made it (the one whose code runs), in 8 bytes. Frees credit the owner, whoever runs the
 *   collector. An account over its limit makes the allocation fail: only that context gets
 *   "out of memory". (The upstream small-block arena pools blocks of all contexts together, so
 *   the engine is built with it off; see _quickjs_engine.c.) Small blocks come from our own slab
 *   pages (_quickjs_slab.c), shared by all contexts, the header still naming each block's owner.
 * - The SCXML host's side (system variables, In(), the event, the snapshot's serialiser) is C
 *   here, not JS in every context; RegExp, typed arrays, Map/Set and Date come on first use.
 * - Deadline: the interrupt handler (called by QuickJS every few thousand operations) compares
 *   the monotonic clock (vDSO, no system call) with the evaluation's wall deadline, set at half the
 *   limit. Past it, the thread's CPU clock is read (a system call, only for evaluations that
 *   already ran half their limit) and the first half counts as CPU: an evaluation is never blamed
 *   for more than half a limit of time it did not run.
 * - The cycle collector never runs inside an evaluation (its pause would be charged to whichever
 *   session happened to allocate): it runs on entry when the heap grew by half since the last
 *   collection, and its time is reported (gc_seconds()) so the host can leave it out of budgets.
 * - Every JS value handed to Python is converted (strings in any internal form, BigInt as int,
 *   objects and functions as Object handles) or refused with a JSException (symbols).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <malloc.h>

#include "quickjs.h"

/* ------------------------------------------------------------------ accounts and allocator */

typedef struct Account {
    size_t used;     /* bytes currently allocated on behalf of this context */
    size_t limit;    /* 0: no limit */
    int closed;      /* its context is gone: freed when used reaches 0 */
    int refused;     /* an allocation was refused since the flag was last taken */
} Account;

/* Header before every block: its owner, and nothing else (8 bytes; 8-byte alignment is all QuickJS
   asks of an allocator, its own arena aligns to 8). The owner's lowest bit (accounts are aligned)
   says where the block comes from: 1 for our slabs (_quickjs_slab.c), 0 for the C library's malloc. */
typedef struct BlockHeader {
    uintptr_t owner;
} BlockHeader;

#define FROM_SLAB ((uintptr_t)1)

static Account shared_account;        /* the runtime's own allocations and frozen templates */
static Account *current = &shared_account;
static size_t total_used;
static size_t closed_bytes;  /* still held by accounts whose context is closed (cycles, mostly) */

static Account *owner_of(BlockHeader *h)
{
    return (Account *)(h->owner & ~FROM_SLAB);
}

/* Small blocks come from our slabs (_quickjs_slab.c): blocks of every context on shared pages. */
extern const size_t openors_slab_max;                /* the largest block, header included */
void *openors_slab_alloc(size_t total);             /* a block of at least `total` bytes, or NULL */
void openors_slab_free(void *block);
size_t openors_slab_size(const void *block);        /* the block's size, header included */

static void account_release_if_done(Account *a)
{
    /* closed_bytes is kept up to date by acct_free for closed accounts */
    if (a != &shared_account && a->closed && a->used == 0)
        free(a);
}

static int account_admits(Account *a, size_t size)
{
    if (a->limit && a->used + size > a->limit) {
        a->refused = 1;
        return 0;
    }
    return 1;
}

/* Bytes a block holds for its user (what the account is charged). */
static size_t block_size(BlockHeader *h)
{
    if (h->owner & FROM_SLAB)
        return openors_slab_size(h) - sizeof(BlockHeader);
    return malloc_usable_size(h) - sizeof(BlockHeader);
}

static void charge(Account *a, ptrdiff_t delta)
{
    a->used += delta;
    total_used += delta;
    if (a->closed)
        closed_bytes += delta;
}

/* A new block of `size` bytes for `owner` (charged to it), from a slab when it is small. */
static void *block_new(Account *owner, size_t size, int zeroed)
{
    size_t total = sizeof(BlockHeader) + size;
    BlockHeader *h;
    uintptr_t tag = 0;
    if (total <= openors_slab_max) {
        h = openors_slab_alloc(total);
        if (h && zeroed)
            memset(h + 1, 0, openors_slab_size(h) - sizeof(BlockHeader));
        tag = FROM_SLAB;
    } else {
        h = zeroed ? calloc(1, total) : malloc(total);
    }
    if (!h)
        return NULL;
    h->owner = (uintptr_t)owner | tag;
    charge(owner, (ptrdiff_t)block_size(h));
    return h + 1;
}

static void block_release(BlockHeader *h)
{
    if (h->owner & FROM_SLAB)
        openors_slab_free(h);
    else
        free(h);
}

static void *acct_malloc(void *opaque, size_t size)
{
    (void)opaque;
    if (size > SIZE_MAX / 2 || !account_admits(current, size))
        return NULL;
    return block_new(current, size, 0);
}

static void *acct_calloc(void *opaque, size_t count, size_t size)
{
    (void)opaque;
    if (size && count > (SIZE_MAX / 2) / size)
        return NULL;
    size_t n = count * size;
    if (!account_admits(current, n))
        return NULL;
    return block_new(current, n, 1);
}

static void acct_free(void *opaque, void *ptr)
{
    (void)opaque;
    if (!ptr)
        return;
    BlockHeader *h = (BlockHeader *)ptr - 1;
    Account *owner = owner_of(h);
    charge(owner, -(ptrdiff_t)block_size(h));
    block_release(h);
    account_release_if_done(owner);
}

static void *acct_realloc(void *opaque, void *ptr, size_t size)
{
    if (!ptr)
        return acct_malloc(opaque, size);
    BlockHeader *h = (BlockHeader *)ptr - 1;
    Account *owner = owner_of(h);
    size_t old = block_size(h);
    /* growth is charged to the owner: a context cannot make another's block grow */
    if (size > SIZE_MAX / 2 || (size > old && !account_admits(owner, size - old)))
        return NULL;
    if (h->owner & FROM_SLAB) {
        if (size <= old)
            return ptr;  /* still fits its block (a shrink keeps the block) */
        void *moved = block_new(owner, size, 0);
        if (!moved)
            return NULL;
        memcpy(moved, ptr, old);
        charge(owner, -(ptrdiff_t)old);
        openors_slab_free(h);
        return moved;
    }
    BlockHeader *n = realloc(h, sizeof(BlockHeader) + size);
    if (!n)
        return NULL;
    charge(owner, (ptrdiff_t)block_size(n) - (ptrdiff_t)old);
    return n + 1;
}

static size_t acct_usable_size(const void *ptr)
{
    return ptr ? block_size((BlockHeader *)ptr - 1) : 0;
}

static const JSMallocFunctions acct_funcs = {
    acct_calloc, acct_malloc, acct_free, acct_realloc, acct_usable_size,
};

/* ------------------------------------------------------------------ runtime, deadline, GC */

static JSRuntime *runtime;
static PyObject *JSException;

static struct {
    int active;
    int fired;
    double limit;          /* seconds of CPU this evaluation may use */
    double wall_deadline;  /* monotonic seconds: until then nothing is read but this clock */
    double cpu_start;      /* thread CPU seconds at the (virtual) start; < 0 until first needed */
} deadline;

static double gc_seconds_total;
/* Total bytes above which the next entry collects. A collection visits every object of every
   context, so it waits for the heap to double: reference counting frees all but cycles, and a
   closed context's cycles are counted in closed_bytes, which has its own trigger. */
#define GC_MIN (8 * 1024 * 1024)
static size_t gc_next = GC_MIN;


static double now_of(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int interrupt_handler(JSRuntime *rt, void *opaque)
{
    (void)rt; (void)opaque;
    if (!deadline.active)
        return 0;
    if (deadline.fired)
        return 1;
    double now = now_of(CLOCK_MONOTONIC);
    if (now < deadline.wall_deadline)
        return 0;
    double cpu = now_of(CLOCK_THREAD_CPUTIME_ID);
    if (deadline.cpu_start < 0)  /* first look: the first half counts as CPU */
        deadline.cpu_start = cpu - deadline.limit / 2;
    double left = deadline.limit - (cpu - deadline.cpu_start);
    if (left <= 0) {
        deadline.fired = 1;
        return 1;
    }
    deadline.wall_deadline = now + left;  /* no CPU clock read before that much wall time */
    return 0;
}

static int ensure_runtime(void)
{
    if (runtime)
        return 0;
    runtime = JS_NewRuntime2(&acct_funcs, NULL);
    if (!runtime) {
        PyErr_SetString(PyExc_MemoryError, "cannot create the QuickJS runtime");
        return -1;
    }
    JS_SetGCThreshold(runtime, (size_t)-1);  /* collected on entry instead (see maybe_collect) */
    JS_SetInterruptHandler(runtime, interrupt_handler, NULL);
    JS_SetMaxStackSize(runtime, 1024 * 1024);
    return 0;
}

static PyObject *gc_callback;  /* called with the seconds of each collection (budgets excuse them) */

static void collect(void)
{
    double t0 = now_of(CLOCK_MONOTONIC);
    Account *saved = current;
    current = &shared_account;
    JS_RunGC(runtime);
    current = saved;
    gc_seconds_total += now_of(CLOCK_MONOTONIC) - t0;
    gc_next = total_used * 2 > GC_MIN ? total_used * 2 : GC_MIN;
    if (gc_callback) {
        double spent = now_of(CLOCK_MONOTONIC) - t0;
        PyObject *r = PyObject_CallFunction(gc_callback, "d", spent);
        if (r)
            Py_DECREF(r);
        else
            PyErr_WriteUnraisable(gc_callback);
    }
}

/* ------------------------------------------------------------------ Context */

typedef struct {
    PyObject_HEAD
    JSContext *ctx;
    Account *account;
    double time_limit;     /* seconds; <= 0: none */
    size_t gc_used;        /* the account's bytes after the last collection it asked for */
    /* What the SCXML host pushed in (install_host), read by the system variables and In(). Kept
       here rather than in JS closures: a context then holds no function of ours but five C ones. */
    JSValue event;         /* _event: the current event, frozen; undefined before the first */
    void *event_shape;     /* the shape _event objects are made from (openors_new_frozen_record) */
    JSValue system[3];     /* _sessionid, _name, _ioprocessors */
    JSAtom *active;        /* the ids of the active states, in the order the host gave them */
    uint32_t n_active;
    int baseline;          /* the baseline the snapshot leaves out (register_baseline); -1: none */
} ContextObject;

/* the engine's own Array.isArray and JSON.parse (_quickjs_engine.c) */
int openors_is_array(JSContext *ctx, JSValueConst value);
JSValue openors_json_parse(JSContext *ctx, JSValueConst text, JSValueConst reviver);
int openors_set_property(JSContext *ctx, JSValueConst obj, JSAtom prop, JSValue val, int strict);
JSValue openors_snapshot_json(JSContext *ctx, JSValueConst root, int (*skip)(void *, JSAtom), void *opaque);
JSValue openors_new_frozen_record(JSContext *ctx, void **shape, const char *const *names, JSValue *values, int n);
void openors_release_shape(JSRuntime *rt, void **shape);
/* RegExp on first use (_quickjs_engine.c) */
extern unsigned long openors_regexp_literals;
int openors_defer_regexp(JSContext *ctx, int (*installer)(JSContext *ctx));
void openors_regexp_installed(JSContext *ctx);
int openors_ensure_regexp(JSContext *ctx);

typedef struct {
    PyObject_HEAD
    ContextObject *owner;
    JSValue value;
} ObjectObject;

static PyTypeObject ContextType;
static PyTypeObject ObjectType;

/* Enter a context: its account is charged, its deadline runs. */
typedef struct {
    Account *saved;
} Entry;

static int enter(ContextObject *self, Entry *e)
{
    if (!self->ctx) {
        PyErr_SetString(PyExc_RuntimeError, "the QuickJS context is closed");
        return -1;
    }
    Account *a = self->account;
    /* The host collects between macrosteps (collect_if_due); here only a heap that ran far past
       its threshold, or a context filling its own account, makes the entry collect. */
    if (total_used > 2 * gc_next || (a->limit && a->used > a->limit / 2 && a->used > self->gc_used * 2)) {
        collect();
        self->gc_used = a->used;
    }
    e->saved = current;
    current = a;
    a->refused = 0;
    JS_UpdateStackTop(runtime);
    if (self->time_limit > 0) {
        deadline.active = 1;
        deadline.fired = 0;
        deadline.limit = self->time_limit;
        deadline.wall_deadline = now_of(CLOCK_MONOTONIC) + self->time_limit / 2;
        deadline.cpu_start = -1;
    } else {
        deadline.active = 0;
    }
    return 0;
}

static void leave(Entry *e)
{
    current = e->saved;
    deadline.active = 0;
}

/* The pending JS exception as a Python JSException (message "Name: text"). */
static PyObject *raise_js_error(ContextObject *self)
{
    JSContext *ctx = self->ctx;
    JSValue exc = JS_GetException(ctx);
    const char *text = NULL;
    if (deadline.fired) {
        PyErr_SetString(JSException, "InternalError: interrupted");
    } else if (self->account->refused) {  /* whatever was thrown after, this is why */
        PyErr_SetString(JSException, "InternalError: out of memory");
    } else {
        Account *saved = current;
        current = &shared_account;  /* the message is ours to make, whatever the context's limit */
        text = JS_ToCString(ctx, exc);
        if (!text) {
            JSValue again = JS_GetException(ctx);
            JS_FreeValue(ctx, again);
        }
        current = saved;
        if (text) {
            PyObject *msg = PyUnicode_DecodeUTF8(text, strlen(text), "replace");
            if (msg) {
                PyErr_SetObject(JSException, msg);
                Py_DECREF(msg);
            }
            JS_FreeCString(ctx, text);
        } else {
            PyErr_SetString(JSException, "InternalError: an exception that cannot be described");
        }
    }
    JS_FreeValue(ctx, exc);
    return NULL;
}

static PyObject *to_python(ContextObject *self, JSValue v);

/* A JS value as a Python value; takes ownership of v. Refusals raise JSException. */
static PyObject *to_python(ContextObject *self, JSValue v)
{
    JSContext *ctx = self->ctx;
    int tag = JS_VALUE_GET_NORM_TAG(v);
    switch (tag) {
    case JS_TAG_UNDEFINED:
    case JS_TAG_NULL:
        Py_RETURN_NONE;
    case JS_TAG_BOOL:
        return PyBool_FromLong(JS_VALUE_GET_BOOL(v));
    case JS_TAG_INT:
        return PyLong_FromLong(JS_VALUE_GET_INT(v));
    case JS_TAG_FLOAT64:
        return PyFloat_FromDouble(JS_VALUE_GET_FLOAT64(v));
    case JS_TAG_STRING:
    case JS_TAG_STRING_ROPE: {
        size_t len;
        const char *s = JS_ToCStringLen(ctx, &len, v);  /* flattens ropes */
        JS_FreeValue(ctx, v);
        if (!s)
            return raise_js_error(self);
        /* lone surrogates cannot live in the host's UTF-8 world: they become U+FFFD */
        PyObject *r = PyUnicode_DecodeUTF8(s, (Py_ssize_t)len, "replace");
        JS_FreeCString(ctx, s);
        return r;
    }
    case JS_TAG_BIG_INT:
    case JS_TAG_SHORT_BIG_INT: {
        int64_t small;
        JSValue text_v;
        if (tag == JS_TAG_SHORT_BIG_INT && JS_ToBigInt64(ctx, &small, v) == 0) {
            JS_FreeValue(ctx, v);
            return PyLong_FromLongLong(small);
        }
        text_v = JS_ToString(ctx, v);
        JS_FreeValue(ctx, v);
        if (JS_IsException(text_v))
            return raise_js_error(self);
        const char *s = JS_ToCString(ctx, text_v);
        JS_FreeValue(ctx, text_v);
        if (!s)
            return raise_js_error(self);
        PyObject *r = PyLong_FromString(s, NULL, 10);
        JS_FreeCString(ctx, s);
        return r;
    }
    case JS_TAG_OBJECT: {
        ObjectObject *o = PyObject_New(ObjectObject, &ObjectType);
        if (!o) {
            JS_FreeValue(ctx, v);
            return NULL;
        }
        Py_INCREF(self);
        o->owner = self;
        o->value = v;
        return (PyObject *)o;
    }
    case JS_TAG_SYMBOL:
        JS_FreeValue(ctx, v);
        PyErr_SetString(JSException, "TypeError: a symbol cannot be handed to the host");
        return NULL;
    default:
        JS_FreeValue(ctx, v);
        PyErr_Format(JSException, "TypeError: a JS value of an internal kind (tag %d) cannot be handed to the host", tag);
        return NULL;
    }
}

/* A Python value as a new JS value; JS_EXCEPTION with a Python error set when it cannot be. */
static JSValue to_js(ContextObject *self, PyObject *o)
{
    JSContext *ctx = self->ctx;
    if (o == Py_None)
        return JS_NULL;
    if (PyBool_Check(o))
        return JS_NewBool(ctx, o == Py_True);
    if (PyLong_Check(o)) {
        int overflow;
        long long n = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow == 0 && !(n == -1 && PyErr_Occurred()))
            return JS_NewInt64(ctx, n);
        PyErr_Clear();
        return JS_NewFloat64(ctx, PyLong_AsDouble(o));
    }
    if (PyFloat_Check(o))
        return JS_NewFloat64(ctx, PyFloat_AS_DOUBLE(o));
    if (PyUnicode_Check(o)) {
        Py_ssize_t len;
        const char *s = PyUnicode_AsUTF8AndSize(o, &len);
        if (!s) {  /* lone surrogates: replaced, as on the way out */
            PyErr_Clear();
            PyObject *b = PyUnicode_AsEncodedString(o, "utf-8", "replace");
            if (!b)
                return JS_EXCEPTION;
            JSValue v = JS_NewStringLen(ctx, PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b));
            Py_DECREF(b);
            return v;
        }
        return JS_NewStringLen(ctx, s, len);
    }
    if (Py_IS_TYPE(o, &ObjectType)) {
        ObjectObject *obj = (ObjectObject *)o;
        if (obj->owner != self) {
            PyErr_SetString(JSException, "TypeError: a value of another session's context cannot be passed in");
            return JS_EXCEPTION;
        }
        return JS_DupValue(ctx, obj->value);
    }
    PyErr_Format(PyExc_TypeError, "cannot hand a %.100s to JS", Py_TYPE(o)->tp_name);
    return JS_EXCEPTION;
}

/* Result of a JS operation (owned) as Python, or the JS error. Runs inside the entry. */
static PyObject *finish(ContextObject *self, JSValue r)
{
    if (JS_IsException(r))
        return raise_js_error(self);
    return to_python(self, r);
}

/* Intrinsics few documents use are installed on first use: typed arrays (about 13 KiB and 40 us
   a context), Map/Set (4 KiB), RegExp (3.5 KiB) and Date (2 KiB). A context gets, under each of
   their global names, one C function serving as both getter and setter (about 150 bytes); the
   first read or write of any name of a group installs the real group, keeping whatever the
   document had already put under a sibling name (or left out: a deleted one stays deleted).
   RegExp is also reached without its name (literals, String.prototype.match): the engine unit
   installs it then (openors_defer_regexp). */
static const char *const typed_array_globals[] = {
    "ArrayBuffer", "SharedArrayBuffer", "Uint8ClampedArray", "Int8Array", "Uint8Array",
    "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "BigInt64Array", "BigUint64Array",
    "Float16Array", "Float32Array", "Float64Array", "DataView", "Atomics",
};
static const char *const mapset_globals[] = {"Map", "Set", "WeakMap", "WeakSet"};
static const char *const date_globals[] = {"Date"};
static const char *const regexp_globals[] = {"RegExp"};

static int add_regexp(JSContext *ctx)
{
    if (JS_AddIntrinsicRegExp(ctx) < 0)
        return -1;
    openors_regexp_installed(ctx);
    return 0;
}

typedef struct LazyGroup {
    const char *const *names;
    int count;
    int (*install)(JSContext *ctx);
} LazyGroup;

#define GROUP(names, install) {names, (int)(sizeof(names) / sizeof(names[0])), install}
static const LazyGroup lazy_groups[] = {
    GROUP(typed_array_globals, JS_AddIntrinsicTypedArrays),
    GROUP(mapset_globals, JS_AddIntrinsicMapSet),
    GROUP(date_globals, JS_AddIntrinsicDate),
    GROUP(regexp_globals, add_regexp),
};
#undef GROUP
#define LAZY_GROUP_TYPED_ARRAYS 0
#define LAZY_GROUP_REGEXP 3
#define N_LAZY_GROUPS (int)(sizeof(lazy_groups) / sizeof(lazy_groups[0]))
#define LAZY_STRIDE 32  /* magic = group * LAZY_STRIDE + index of the name in its group */

/* Replace a group's stand-ins with the real intrinsics; a name the document has already set
   (a data property now) keeps the document's value. */
static int install_lazy_group(JSContext *ctx, JSValueConst global, const LazyGroup *g)
{
    JSValue kept[LAZY_STRIDE];
    int absent[LAZY_STRIDE];
    int ret = 0;
    for (int i = 0; i < g->count; i++) {
        JSAtom atom = JS_NewAtom(ctx, g->names[i]);
        JSPropertyDescriptor desc;
        int has = JS_GetOwnProperty(ctx, &desc, global, atom);
        kept[i] = JS_UNINITIALIZED;
        absent[i] = has == 0;
        if (has > 0) {
            if (desc.flags & JS_PROP_GETSET) {
                JS_FreeValue(ctx, desc.getter);
                JS_FreeValue(ctx, desc.setter);
            } else {
                kept[i] = desc.value;
            }
            JS_DeleteProperty(ctx, global, atom, 0);
        } else if (has < 0) {
            ret = -1;
        }
        JS_FreeAtom(ctx, atom);
    }
    if (ret == 0)
        ret = g->install(ctx);
    for (int i = 0; i < g->count; i++) {
        if (absent[i] && ret == 0) {  /* the document deleted it: installing does not bring it back */
            JSAtom atom = JS_NewAtom(ctx, g->names[i]);
            JS_DeleteProperty(ctx, global, atom, 0);
            JS_FreeAtom(ctx, atom);
        }
        if (JS_IsUninitialized(kept[i]))
            continue;
        if (ret == 0)
            JS_DefinePropertyValueStr(ctx, global, g->names[i], kept[i], JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE);
        else
            JS_FreeValue(ctx, kept[i]);
    }
    return ret;
}

/* The stand-in: called with no argument it is the getter, with one the setter. */
static JSValue lazy_global(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv, int magic)
{
    (void)this_val;
    const LazyGroup *g = &lazy_groups[magic / LAZY_STRIDE];
    const char *name = g->names[magic % LAZY_STRIDE];
    JSValue global = JS_GetGlobalObject(ctx);
    JSValue r = JS_EXCEPTION;
    if (install_lazy_group(ctx, global, g) == 0) {
        if (argc == 0)
            r = JS_GetPropertyStr(ctx, global, name);
        else if (JS_SetPropertyStr(ctx, global, name, JS_DupValue(ctx, argv[0])) >= 0)
            r = JS_UNDEFINED;
    }
    JS_FreeValue(ctx, global);
    return r;
}

/* The engine unit's way in: RegExp is needed now (a literal, String.prototype.match). */
static int install_regexp_group(JSContext *ctx)
{
    JSValue global = JS_GetGlobalObject(ctx);
    int r = install_lazy_group(ctx, global, &lazy_groups[LAZY_GROUP_REGEXP]);
    JS_FreeValue(ctx, global);
    return r;
}

static int add_lazy_globals(JSContext *ctx, int typed_arrays)
{
    JSValue global = JS_GetGlobalObject(ctx);
    int failed = 0;
    for (int gi = 0; gi < N_LAZY_GROUPS && !failed; gi++) {
        const LazyGroup *g = &lazy_groups[gi];
        if (gi == LAZY_GROUP_TYPED_ARRAYS && !typed_arrays)
            continue;
        for (int i = 0; i < g->count && !failed; i++) {
            JSValue fn = JS_NewCFunctionMagic(ctx, lazy_global, g->names[i], 0, JS_CFUNC_generic_magic,
                                              gi * LAZY_STRIDE + i);
            JSAtom atom = JS_NewAtom(ctx, g->names[i]);
            failed = JS_IsException(fn) ||
                     JS_DefinePropertyGetSet(ctx, global, atom, fn, JS_DupValue(ctx, fn), JS_PROP_CONFIGURABLE) < 0;
            JS_FreeAtom(ctx, atom);
        }
    }
    JS_FreeValue(ctx, global);
    return failed;
}

static int Context_init(ContextObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"typed_arrays", NULL};
    int typed_arrays = 1;  /* 0: none at all (a compiler's context) */
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|p", kwlist, &typed_arrays))
        return -1;
    if (ensure_runtime() < 0)
        return -1;
    if (self->ctx)
        return 0;
    Account *a = calloc(1, sizeof(Account));
    if (!a) {
        PyErr_NoMemory();
        return -1;
    }
    self->account = a;
    Account *saved = current;
    current = a;
    JSContext *ctx = JS_NewContextRaw(runtime);
    int failed = !ctx;
    /* The intrinsics a document may use; no Promise (no job queue ever runs), no WeakRef, no
       performance/atob. Typed arrays, Map/Set, Date and RegExp come on first use. */
    if (!failed)
        failed = JS_AddIntrinsicBaseObjects(ctx) || JS_AddIntrinsicEval(ctx) ||
                 openors_defer_regexp(ctx, install_regexp_group) || JS_AddIntrinsicJSON(ctx) ||
                 JS_AddIntrinsicProxy(ctx) || JS_AddIntrinsicBigInt(ctx) || add_lazy_globals(ctx, typed_arrays);
    current = saved;
    if (failed) {
        if (ctx)
            JS_FreeContext(ctx);
        a->closed = 1;
        closed_bytes += a->used;
        account_release_if_done(a);
        self->account = NULL;
        PyErr_SetString(PyExc_MemoryError, "cannot create a QuickJS context");
        return -1;
    }
    self->ctx = ctx;
    self->time_limit = 0;
    self->event = JS_UNDEFINED;
    self->event_shape = NULL;
    for (int i = 0; i < 3; i++)
        self->system[i] = JS_UNDEFINED;
    self->active = NULL;
    self->n_active = 0;
    self->baseline = -1;
    JS_SetContextOpaque(ctx, self);  /* borrowed: the context goes before its Python object */
    return 0;
}

static void free_active(ContextObject *self)
{
    for (uint32_t i = 0; i < self->n_active; i++)
        JS_FreeAtom(self->ctx, self->active[i]);
    js_free(self->ctx, self->active);
    self->active = NULL;
    self->n_active = 0;
}

static void context_close(ContextObject *self)
{
    if (self->ctx) {
        Account *saved = current;
        current = self->account;
        JS_FreeValue(self->ctx, self->event);
        self->event = JS_UNDEFINED;
        openors_release_shape(JS_GetRuntime(self->ctx), &self->event_shape);
        for (int i = 0; i < 3; i++) {
            JS_FreeValue(self->ctx, self->system[i]);
            self->system[i] = JS_UNDEFINED;
        }
        free_active(self);
        JS_FreeContext(self->ctx);
        current = saved;
        self->ctx = NULL;
    }
    if (self->account) {
        self->account->closed = 1;
        closed_bytes += self->account->used;
        account_release_if_done(self->account);  /* or later, when its last block goes */
        self->account = NULL;
    }
}

static void Context_dealloc(ContextObject *self)
{
    context_close(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Context_close(ContextObject *self, PyObject *unused)
{
    (void)unused;
    context_close(self);
    Py_RETURN_NONE;
}

static PyObject *eval_with_flags(ContextObject *self, PyObject *args, int flags)
{
    const char *source;
    Py_ssize_t len;
    const char *filename = "<eval>";
    if (!PyArg_ParseTuple(args, "s#|s", &source, &len, &filename))
        return NULL;
    Entry e;
    if (enter(self, &e) < 0)
        return NULL;
    JSValue r = JS_Eval(self->ctx, source, (size_t)len, filename, flags);
    PyObject *out = finish(self, r);
    leave(&e);
    return out;
}

static PyObject *Context_eval(ContextObject *self, PyObject *args)
{
    return eval_with_flags(self, args, JS_EVAL_TYPE_GLOBAL);
}

/* Compile a script once; the bytes run in any context of this process (run_compiled). */
static PyObject *Context_compile(ContextObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"source", "filename", "keep_source", "keep_debug", NULL};
    const char *source;
    Py_ssize_t len;
    const char *filename = "<eval>";
    int keep_source = 1, keep_debug = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "s#|spp", kwlist, &source, &len, &filename,
                                     &keep_source, &keep_debug))
        return NULL;
    Entry e;
    if (enter(self, &e) < 0)
        return NULL;
    PyObject *out = NULL;
    unsigned long literals = openors_regexp_literals;
    JSValue fn = JS_Eval(self->ctx, source, (size_t)len, filename, JS_EVAL_TYPE_GLOBAL | JS_EVAL_FLAG_COMPILE_ONLY);
    if (JS_IsException(fn)) {
        raise_js_error(self);
    } else {
        size_t size;
        uint8_t *buf = JS_WriteObject(self->ctx, &size, fn, JS_WRITE_OBJ_BYTECODE |
                                      (keep_source ? 0 : JS_WRITE_OBJ_STRIP_SOURCE) |
                                      (keep_debug ? 0 : JS_WRITE_OBJ_STRIP_DEBUG));
        JS_FreeValue(self->ctx, fn);
        if (!buf)
            raise_js_error(self);
        else {
            /* one byte of ours first: whether the code holds a regular expression literal (the
               context that runs it then needs RegExp before it runs) */
            out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size + 1);
            if (out) {
                PyBytes_AS_STRING(out)[0] = openors_regexp_literals != literals;
                memcpy(PyBytes_AS_STRING(out) + 1, buf, size);
            }
            js_free(self->ctx, buf);
        }
    }
    leave(&e);
    return out;
}

static PyObject *Context_run_compiled(ContextObject *self, PyObject *args)
{
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "y*", &buf))
        return NULL;
    Entry e;
    if (enter(self, &e) < 0) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    /* trusted input: only bytes compile() made in this process */
    const uint8_t *bytes = buf.buf;
    JSValue fn = JS_EXCEPTION;
    if (buf.len < 1)
        JS_ThrowTypeError(self->ctx, "not bytes made by compile()");
    else if (bytes[0] == 0 || openors_ensure_regexp(self->ctx) == 0)
        fn = JS_ReadObject(self->ctx, bytes + 1, (size_t)buf.len - 1, JS_READ_OBJ_BYTECODE);
    PyBuffer_Release(&buf);
    PyObject *out;
    if (JS_IsException(fn))
        out = raise_js_error(self);
    else
        out = finish(self, JS_EvalFunction(self->ctx, fn));
    leave(&e);
    return out;
}

static PyObject *Context_get(ContextObject *self, PyObject *args)
{
    const char *name;
    if (!PyArg_ParseTuple(args, "s", &name))
        return NULL;
    Entry e;
    if (enter(self, &e) < 0)
        return NULL;
    JSValue global = JS_GetGlobalObject(self->ctx);
    JSValue v = JS_GetPropertyStr(self->ctx, global, name);
    JS_FreeValue(self->ctx, global);
    PyObject *out = finish(self, v);
    leave(&e);
    return out;
}

static PyObject *Context_set_time_limit(ContextObject *self, PyObject *arg)
{
    double s = PyFloat_AsDouble(arg);
    if (s == -1.0 && PyErr_Occurred())
        return NULL;
    self->time_limit = s;
    Py_RETURN_NONE;
}

static PyObject *Context_set_memory_limit(ContextObject *self, PyObject *arg)
{
    long long n = PyLong_AsLongLong(arg);
    if (n == -1 && PyErr_Occurred())
        return NULL;
    if (self->account)
        self->account->limit = n > 0 ? (size_t)n : 0;
    Py_RETURN_NONE;
}

static PyObject *Context_memory_used(ContextObject *self, PyObject *unused)
{
    (void)unused;
    return PyLong_FromSize_t(self->account ? self->account->used : 0);
}

/* True when an allocation was refused in this context's last entry (and clears it). */
static PyObject *Context_take_out_of_memory(ContextObject *self, PyObject *unused)
{
    (void)unused;
    int r = self->account && self->account->refused;
    if (self->account)
        self->account->refused = 0;
    return PyBool_FromLong(r);
}

/* ------------------------------------------------------------------ baselines */

/* The globals a context has before any document code (built-ins, preludes), per prelude set: the
   snapshot serializer wants the others. Kept once per process as sorted atoms (atoms belong to the
   runtime, so every context can compare against them), instead of a name table in every context
   (about 2.7 KiB each). */
#define MAX_BASELINES 32767  /* a C function's magic is 16 bits */
typedef struct Baseline {
    JSAtom *atoms;
    uint32_t len;
    uint8_t *bits;   /* one bit per atom below n_bits: the membership test a snapshot makes per global */
    uint32_t n_bits;
} Baseline;
#define MAX_BASELINE_BITS (1u << 20)  /* atoms above (rare: made after many names) are searched */
static Baseline *baselines;
static int n_baselines, baselines_cap;

static int atom_order(const void *a, const void *b)
{
    JSAtom x = *(const JSAtom *)a, y = *(const JSAtom *)b;
    return x < y ? -1 : x > y;
}

/* register_baseline(): this context's own global names now become a baseline; returns its index */
static PyObject *Context_register_baseline(ContextObject *self, PyObject *unused)
{
    (void)unused;
    if (n_baselines == baselines_cap) {
        int cap = baselines_cap ? 2 * baselines_cap : 8;
        Baseline *grown = cap <= MAX_BASELINES + 1 ? realloc(baselines, sizeof(Baseline) * cap) : NULL;
        if (!grown) {
            PyErr_SetString(PyExc_RuntimeError, "too many baselines");
            return NULL;
        }
        baselines = grown;
        baselines_cap = cap;
    }
    if (n_baselines >= MAX_BASELINES) {
        PyErr_SetString(PyExc_RuntimeError, "too many baselines");
        return NULL;
    }
    Entry e;
    if (enter(self, &e) < 0)
        return NULL;
    Account *saved = current;
    current = &shared_account;  /* kept for the life of the process, no session's */
    JSValue global = JS_GetGlobalObject(self->ctx);
    JSPropertyEnum *tab = NULL;
    uint32_t len = 0;
    PyObject *out = NULL;
    if (JS_GetOwnPropertyNames(self->ctx, &tab, &len, global, JS_GPN_STRING_MASK) == 0) {
        JSAtom *atoms = malloc(sizeof(JSAtom) * (len ? len : 1));
        if (atoms) {
            for (uint32_t i = 0; i < len; i++)
                atoms[i] = JS_DupAtom(self->ctx, tab[i].atom);
            qsort(atoms, len, sizeof(JSAtom), atom_order);
            uint32_t n_bits = 0;
            for (uint32_t i = 0; i < len; i++)
                if (atoms[i] < MAX_BASELINE_BITS && atoms[i] + 1 > n_bits)
                    n_bits = atoms[i] + 1;
            uint8_t *bits = calloc(n_bits / 8 + 1, 1);
            if (bits)
                for (uint32_t i = 0; i < len; i++)
                    if (atoms[i] < n_bits)
                        bits[atoms[i] >> 3] |= (uint8_t)(1u << (atoms[i] & 7));
            baselines[n_baselines].atoms = atoms;
            baselines[n_baselines].len = len;
            baselines[n_baselines].bits = bits;
            baselines[n_baselines].n_bits = bits ? n_bits : 0;
            out = PyLong_FromLong(n_baselines++);
        } else {
            PyErr_NoMemory();
        }
        JS_FreePropertyEnum(self->ctx, tab, len);
    }
    JS_FreeValue(self->ctx, global);
    current = saved;
    if (!out && !PyErr_Occurred())
        out = raise_js_error(self);
    leave(&e);
    return out;
}

/* set_baseline(index): the baseline of global names this context's snapshot leaves out */
static PyObject *Context_set_baseline(ContextObject *self, PyObject *arg)
{
    long index = PyLong_AsLong(arg);
    if (index == -1 && PyErr_Occurred())
        return NULL;
    if (index < 0 || index >= n_baselines) {
        PyErr_SetString(PyExc_ValueError, "no such baseline");
        return NULL;
    }
    self->baseline = (int)index;
    Py_RETURN_NONE;
}

static int in_baseline(int baseline, JSAtom atom)
{
    if (baseline < 0)
        return 0;
    const Baseline *b = &baselines[baseline];
    if (atom < b->n_bits)
        return (b->bits[atom >> 3] >> (atom & 7)) & 1;
    return bsearch(&atom, b->atoms, b->len, sizeof(JSAtom), atom_order) != NULL;
}

static int outside_snapshot(void *opaque, JSAtom atom)
{
    return in_baseline(((ContextObject *)opaque)->baseline, atom);
}

/* ------------------------------------------------------------------ the SCXML host */

/* What a JS prelude run in every context used to define, as C functions of the binding: the
   system variables (read-only accessors), In(), __scxml_activeIds() and the host's entry points
   (methods of Context below). Their state lives in the ContextObject. */

static const char *const system_names[] = {"_event", "_sessionid", "_name", "_ioprocessors"};

static ContextObject *host_of(JSContext *ctx)
{
    return (ContextObject *)JS_GetContextOpaque(ctx);
}

/* Getter and setter of a system variable (magic: its index in system_names): read-only. */
static JSValue system_variable(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv, int magic)
{
    (void)this_val; (void)argv;
    if (argc > 0)
        return JS_ThrowTypeError(ctx, "%s is a read-only system variable", system_names[magic]);
    ContextObject *self = host_of(ctx);
    return JS_DupValue(ctx, magic == 0 ? self->event : self->system[magic - 1]);
}

/* In(id): whether the state is active (W3C B.2.1) */
static JSValue in_state(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    (void)this_val;
    ContextObject *self = host_of(ctx);
    JSAtom atom = JS_ValueToAtom(ctx, argc > 0 ? argv[0] : JS_UNDEFINED);
    if (atom == JS_ATOM_NULL)
        return JS_EXCEPTION;
    int found = 0;
    /* a linear scan: a configuration holds a handful of states */
    for (uint32_t i = 0; i < self->n_active && !found; i++)
        found = self->active[i] == atom;
    JS_FreeAtom(ctx, atom);
    return JS_NewBool(ctx, found);
}

/* __scxml_activeIds(): the active states' ids, in the order the host gave them */
static JSValue active_ids(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    (void)this_val; (void)argc; (void)argv;
    ContextObject *self = host_of(ctx);
    JSValue out = JS_NewArray(ctx);
    for (uint32_t i = 0; i < self->n_active && !JS_IsException(out); i++) {
        if (JS_SetPropertyUint32(ctx, out, i, JS_AtomToString(ctx, self->active[i])) < 0) {
            JS_FreeValue(ctx, out);
            out = JS_EXCEPTION;
        }
    }
    return out;
}

static int define_global_function(JSContext *ctx, JSValueConst global, const char *name, JSCFunction *fn, int length)
{
    JSValue f = JS_NewCFunction(ctx, fn, name, length);
    if (JS_IsException(f))
        return -1;
    /* writable and configurable, as the prelude's were; not enumerable */
    return JS_DefinePropertyValueStr(ctx, global, name, f, JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE) < 0 ? -1 : 0;
}

/* install_host(): the system variables, In() and __scxml_activeIds() as globals of this context */
static PyObject *Context_install_host(ContextObject *self, PyObject *unused)
{
    (void)unused;
    Entry e;
    if (enter(self, &e) < 0)
        return NULL;
    JSContext *ctx = self->ctx;
    JSValue global = JS_GetGlobalObject(ctx);
    int failed = 0;
    for (int i = 0; i < 4 && !failed; i++) {
        /* one function is both getter and setter: one object less per variable */
        JSValue fn = JS_NewCFunctionMagic(ctx, system_variable, system_names[i], 0, JS_CFUNC_generic_magic, i);
        JSAtom atom = JS_NewAtom(ctx, system_names[i]);
        failed = JS_IsException(fn) || atom == JS_ATOM_NULL ||
                 JS_DefinePropertyGetSet(ctx, global, atom, fn, JS_DupValue(ctx, fn), 0) < 0;
        JS_FreeAtom(ctx, atom);
    }
    if (!failed)
        failed = define_global_function(ctx, global, "In", in_state, 1) ||
                 define_global_function(ctx, global, "__scxml_activeIds", active_ids, 0);
    JS_FreeValue(ctx, global);
    PyObject *out = failed ? raise_js_error(self) : Py_NewRef(Py_None);
    leave(&e);
    return out;
}

/* A Python str as a JS value parsed as JSON (the engine's JSON.parse, with `reviver` if it is a
   function). JS_EXCEPTION with the JS or Python error pending when it fails. */
static JSValue parse_json(ContextObject *self, PyObject *text, JSValueConst reviver)
{
    JSValue s = to_js(self, text);
    if (JS_IsException(s))
        return s;
    JSValue v = openors_json_parse(self->ctx, s, reviver);
    JS_FreeValue(self->ctx, s);
    return v;
}

/* The reviver argument: None, or an Object of this context. */
static int reviver_of(ContextObject *self, PyObject *o, JSValue *out)
{
    *out = JS_UNDEFINED;
    if (o == Py_None)
        return 0;
    if (!Py_IS_TYPE(o, &ObjectType) || ((ObjectObject *)o)->owner != self) {
        PyErr_SetString(PyExc_TypeError, "the reviver must be a function of this context");
        return -1;
    }
    *out = ((ObjectObject *)o)->value;  /* borrowed */
    return 0;
}

static PyObject *host_result(ContextObject *self, JSValue v, Entry *e)
{
    PyObject *out;
    if (JS_IsException(v))
        out = PyErr_Occurred() ? NULL : raise_js_error(self);
    else
        out = to_python(self, v);
    leave(e);
    return out;
}

/* parse_json(text, reviver=None): JSON.parse as the engine has it, whatever the globals say */
static PyObject *Context_parse_json(ContextObject *self, PyObject *args)
{
    PyObject *text, *reviver_o = Py_None;
    JSValue reviver;
    if (!PyArg_ParseTuple(args, "U|O", &text, &reviver_o) || reviver_of(self, reviver_o, &reviver) < 0)
        return NULL;
    Entry e;
    if (enter(self, &e) < 0)
        return NULL;
    return host_result(self, parse_json(self, text, reviver), &e);
}

/* to_json(value): JSON text of a JS value (None for undefined); a function as
   {"__function__": its source} */
static PyObject *Context_to_json(ContextObject *self, PyObject *arg)
{
    Entry e;
    if (enter(self, &e) < 0)
        return NULL;
    JSContext *ctx = self->ctx;
    JSValue v = to_js(self, arg), r;
    if (JS_IsException(v)) {
        r = v;
    } else if (JS_IsUndefined(v)) {
        r = JS_UNDEFINED;
    } else if (JS_IsFunction(ctx, v)) {
        JSValue wrapper = JS_NewObject(ctx);
        JSValue source = JS_ToString(ctx, v);
        if (JS_IsException(wrapper) || JS_IsException(source) ||
            JS_DefinePropertyValueStr(ctx, wrapper, "__function__", source, JS_PROP_C_W_E) < 0) {
            if (JS_IsException(source) == 0 && JS_IsException(wrapper))
                JS_FreeValue(ctx, source);
            r = JS_EXCEPTION;
        } else {
            r = JS_JSONStringify(ctx, wrapper, JS_UNDEFINED, JS_UNDEFINED);
        }
        JS_FreeValue(ctx, wrapper);
    } else {
        r = JS_JSONStringify(ctx, v, JS_UNDEFINED, JS_UNDEFINED);
    }
    JS_FreeValue(ctx, v);
    return host_result(self, r, &e);
}

/* is_array(value): Array.isArray as the engine has it */
static PyObject *Context_is_array(ContextObject *self, PyObject *arg)
{
    Entry e;
    if (enter(self, &e) < 0)
        return NULL;
    JSValue v = to_js(self, arg);
    int r = JS_IsException(v) ? -1 : openors_is_array(self->ctx, v);
    JS_FreeValue(self->ctx, v);
    return host_result(self, r < 0 ? JS_EXCEPTION : JS_NewBool(self->ctx, r), &e);
}

/* set_system(sessionid, name, ioprocessors_json) */
static PyObject *Context_set_system(ContextObject *self, PyObject *args)
{
    PyObject *sid, *name, *io;
    if (!PyArg_ParseTuple(args, "OOU", &sid, &name, &io))
        return NULL;
    Entry e;
    if (enter(self, &e) < 0)
        return NULL;
    JSValue values[3] = {to_js(self, sid), to_js(self, name), JS_UNDEFINED};
    if (!JS_IsException(values[0]) && !JS_IsException(values[1]))
        values[2] = parse_json(self, io, JS_UNDEFINED);
    for (int i = 0; i < 3; i++) {
        if (JS_IsException(values[i])) {
            for (int j = 0; j < 3; j++)
                JS_FreeValue(self->ctx, values[j]);
            return host_result(self, JS_EXCEPTION, &e);
        }
    }
    for (int i = 0; i < 3; i++) {
        JS_FreeValue(self->ctx, self->system[i]);
        self->system[i] = values[i];
    }
    return host_result(self, JS_UNDEFINED, &e);
}

/* set_event(name, type, sendid, origin, origintype, invokeid, data_json, reviver, raw): _event
   becomes a frozen object; None becomes undefined (but for name and type) */
static PyObject *Context_set_event(ContextObject *self, PyObject *args)
{
    static const char *const keys[] = {"name", "type", "sendid", "origin", "origintype", "invokeid", "data", "raw"};
    PyObject *f[8], *reviver_o;
    JSValue reviver;
    if (!PyArg_ParseTuple(args, "OOOOOOOOO", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &reviver_o, &f[7]) ||
        reviver_of(self, reviver_o, &reviver) < 0)
        return NULL;
    if (f[6] != Py_None && !PyUnicode_Check(f[6])) {
        PyErr_SetString(PyExc_TypeError, "an event's data comes as JSON text");
        return NULL;
    }
    Entry e;
    if (enter(self, &e) < 0)
        return NULL;
    JSContext *ctx = self->ctx;
    JSValue values[8];
    int made = 0;
    for (; made < 8; made++) {
        JSValue v;
        if (f[made] == Py_None && made >= 2)
            v = JS_UNDEFINED;
        else if (made == 6)
            v = parse_json(self, f[made], reviver);
        else
            v = to_js(self, f[made]);
        if (JS_IsException(v))
            break;
        values[made] = v;
    }
    if (made < 8) {
        for (int i = 0; i < made; i++)
            JS_FreeValue(ctx, values[i]);
        return host_result(self, JS_EXCEPTION, &e);
    }
    JSValue ev = openors_new_frozen_record(ctx, &self->event_shape, keys, values, 8);
    if (JS_IsException(ev))
        return host_result(self, JS_EXCEPTION, &e);
    JS_FreeValue(ctx, self->event);
    self->event = ev;
    return host_result(self, JS_UNDEFINED, &e);
}

/* set_configuration(ids): the active states, for In() and __scxml_activeIds() */
static PyObject *Context_set_configuration(ContextObject *self, PyObject *arg)
{
    PyObject *seq = PySequence_Fast(arg, "the configuration is a sequence of state ids");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    Entry e;
    if (enter(self, &e) < 0) {
        Py_DECREF(seq);
        return NULL;
    }
    JSContext *ctx = self->ctx;
    JSAtom *atoms = n ? js_malloc(ctx, sizeof(JSAtom) * (size_t)n) : NULL;
    Py_ssize_t made = 0;
    int failed = n && !atoms;
    for (; made < n && !failed; made++) {
        Py_ssize_t len;
        PyObject *item = PySequence_Fast_GET_ITEM(seq, made);
        const char *s = PyUnicode_Check(item) ? PyUnicode_AsUTF8AndSize(item, &len) : NULL;
        if (!s) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "a state id is a str");
            failed = 1;
            break;
        }
        atoms[made] = JS_NewAtomLen(ctx, s, (size_t)len);
        failed = atoms[made] == JS_ATOM_NULL;
    }
    Py_DECREF(seq);
    if (failed) {
        for (Py_ssize_t i = 0; i < made; i++)
            if (atoms[i] != JS_ATOM_NULL)
                JS_FreeAtom(ctx, atoms[i]);
        js_free(ctx, atoms);
        return host_result(self, JS_EXCEPTION, &e);
    }
    free_active(self);
    self->active = atoms;
    self->n_active = (uint32_t)n;
    return host_result(self, JS_UNDEFINED, &e);
}

/* set_member(target, name, json, reviver, strict): `target[name] = JSON.parse(json)` (target None: the
   global object) in one call, with no function compiled for it */
static PyObject *Context_set_member(ContextObject *self, PyObject *args)
{
    PyObject *target_o, *text, *reviver_o;
    const char *name;
    int strict;
    JSValue reviver;
    if (!PyArg_ParseTuple(args, "OsUOp", &target_o, &name, &text, &reviver_o, &strict) ||
        reviver_of(self, reviver_o, &reviver) < 0)
        return NULL;
    Entry e;
    if (enter(self, &e) < 0)
        return NULL;
    JSContext *ctx = self->ctx;
    JSValue target = target_o == Py_None ? JS_GetGlobalObject(ctx) : to_js(self, target_o);
    if (JS_IsException(target))
        return host_result(self, target, &e);
    JSValue v = parse_json(self, text, reviver);
    int r = -1;
    if (!JS_IsException(v)) {
        JSAtom atom = JS_NewAtom(ctx, name);
        if (atom == JS_ATOM_NULL)
            JS_FreeValue(ctx, v);
        else
            r = openors_set_property(ctx, target, atom, v, strict);
        JS_FreeAtom(ctx, atom);
    }
    JS_FreeValue(ctx, target);
    return host_result(self, r < 0 ? JS_EXCEPTION : JS_UNDEFINED, &e);
}

/* Copy into `to` what `for (key in from) to[key] = from[key]` would: the enumerable string keys of
   `from` and of its prototypes, the nearest one first, each key once. */
static int copy_for_in(JSContext *ctx, JSValueConst to, JSValueConst from)
{
    JSValue seen = JS_NewObjectProto(ctx, JS_NULL);
    JSValue obj = JS_DupValue(ctx, from);
    int failed = JS_IsException(seen);
    for (int depth = 0; !failed && JS_IsObject(obj) && depth < 10000; depth++) {
        JSPropertyEnum *tab = NULL;
        uint32_t len = 0;
        if (JS_GetOwnPropertyNames(ctx, &tab, &len, obj, JS_GPN_STRING_MASK) < 0) {
            failed = 1;
            break;
        }
        for (uint32_t i = 0; i < len && !failed; i++) {
            JSAtom atom = tab[i].atom;
            int had = JS_HasProperty(ctx, seen, atom);
            if (had < 0 || (!had && JS_DefinePropertyValue(ctx, seen, atom, JS_TRUE, JS_PROP_C_W_E) < 0)) {
                failed = 1;
            } else if (!had && tab[i].is_enumerable) {
                JSValue v = JS_GetProperty(ctx, from, atom);
                failed = JS_IsException(v) || JS_DefinePropertyValue(ctx, to, atom, v, JS_PROP_C_W_E) < 0;
            }
        }
        JS_FreePropertyEnum(ctx, tab, len);
        if (!failed) {
            JSValue proto = JS_GetPrototype(ctx, obj);
            JS_FreeValue(ctx, obj);
            obj = proto;
            failed = JS_IsException(proto);
        }
    }
    JS_FreeValue(ctx, obj);
    JS_FreeValue(ctx, seen);
    return failed ? -1 : 0;
}

static int is_system_name(const char *name)
{
    static const char *const hidden[] = {"_event", "_sessionid", "_name", "_ioprocessors", "_x"};
    for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
        if (strcmp(name, hidden[i]) == 0)
            return 1;
    return 0;
}

/* The session's globals that are not in its baseline, as a null-prototype object: neither
   functions nor names starting with "__"; undefined as {__undefined__: true}. With `visible`,
   also leaves out the system variables' names. */
static JSValue user_globals(ContextObject *self, int visible)
{
    JSContext *ctx = self->ctx;
    JSValue global = JS_GetGlobalObject(ctx);
    JSPropertyEnum *tab = NULL;
    uint32_t len = 0;
    if (JS_GetOwnPropertyNames(ctx, &tab, &len, global, JS_GPN_STRING_MASK) < 0) {
        JS_FreeValue(ctx, global);
        return JS_EXCEPTION;
    }
    JSValue out = JS_NewObjectProto(ctx, JS_NULL);
    int failed = JS_IsException(out);
    for (uint32_t i = 0; i < len && !failed; i++) {
        JSAtom atom = tab[i].atom;
        if (in_baseline(self->baseline, atom))
            continue;
        const char *name = JS_AtomToCString(ctx, atom);
        if (!name) {
            failed = 1;
            break;
        }
        int skip = (name[0] == '_' && name[1] == '_') || (visible && is_system_name(name));
        JS_FreeCString(ctx, name);
        if (skip)
            continue;
        JSValue v = JS_GetProperty(ctx, global, atom);
        if (JS_IsException(v)) {
            failed = 1;
        } else if (JS_IsFunction(ctx, v)) {
            JS_FreeValue(ctx, v);
        } else {
            if (JS_IsUndefined(v)) {
                v = JS_NewObject(ctx);
                if (JS_IsException(v) ||
                    JS_DefinePropertyValueStr(ctx, v, "__undefined__", JS_TRUE, JS_PROP_C_W_E) < 0) {
                    JS_FreeValue(ctx, v);
                    failed = 1;
                    continue;
                }
            }
            failed = JS_DefinePropertyValue(ctx, out, atom, v, JS_PROP_C_W_E) < 0;
        }
    }
    JS_FreePropertyEnum(ctx, tab, len);
    JS_FreeValue(ctx, global);
    if (failed) {
        JS_FreeValue(ctx, out);
        return JS_EXCEPTION;
    }
    return out;
}

/* snapshot(what, root): in one call, the session's data as JSON text, serialised by the engine's
   JSON.stringify (a document cannot replace it). "all": {"variables": the globals beyond the
   baseline that are not functions, "data_root": root}; "visible": as operators see them, the
   root's items, then those globals without the system variables. */
static PyObject *Context_snapshot(ContextObject *self, PyObject *args)
{
    const char *what;
    PyObject *root_o = Py_None;
    if (!PyArg_ParseTuple(args, "s|O", &what, &root_o))
        return NULL;
    int visible = strcmp(what, "visible") == 0;
    if (!visible && strcmp(what, "all") != 0) {
        PyErr_SetString(PyExc_ValueError, "snapshot() takes 'all' or 'visible'");
        return NULL;
    }
    Entry e;
    if (enter(self, &e) < 0)
        return NULL;
    JSContext *ctx = self->ctx;
    JSValue root = to_js(self, root_o);
    if (JS_IsException(root))
        return host_result(self, root, &e);
    if (!visible) {  /* written in one pass, nothing made (the snapshot of every macrostep) */
        JSValue r = openors_snapshot_json(ctx, root, outside_snapshot, self);
        JS_FreeValue(ctx, root);
        return host_result(self, r, &e);
    }
    JSValue globals = user_globals(self, visible);
    JSValue top = JS_IsException(globals) ? JS_EXCEPTION : JS_NewObjectProto(ctx, JS_NULL);
    int failed = JS_IsException(top) ||
                 (JS_IsObject(root) && copy_for_in(ctx, top, root) < 0) || copy_for_in(ctx, top, globals) < 0;
    JSValue r = failed ? JS_EXCEPTION : JS_JSONStringify(ctx, top, JS_UNDEFINED, JS_UNDEFINED);
    JS_FreeValue(ctx, top);
    JS_FreeValue(ctx, globals);
    JS_FreeValue(ctx, root);
    return host_result(self, r, &e);
}

static PyMethodDef Context_methods[] = {
    {"eval", (PyCFunction)Context_eval, METH_VARARGS, "eval(source[, filename]): run global code, return its value"},
    {"compile", (PyCFunction)(void (*)(void))Context_compile, METH_VARARGS | METH_KEYWORDS,
     "compile(source, filename='<eval>', keep_source=True, keep_debug=True) -> bytes for run_compiled;"
     " without source, functions' toString() shows no body; without debug info, errors no line"},
    {"run_compiled", (PyCFunction)Context_run_compiled, METH_VARARGS, "run bytes made by compile() in this process"},
    {"get", (PyCFunction)Context_get, METH_VARARGS, "get(name): a global's value"},
    {"set_time_limit", (PyCFunction)Context_set_time_limit, METH_O, "CPU seconds per evaluation (<= 0: none)"},
    {"set_memory_limit", (PyCFunction)Context_set_memory_limit, METH_O, "bytes this context may hold (0: none)"},
    {"memory_used", (PyCFunction)Context_memory_used, METH_NOARGS, "bytes this context holds now"},
    {"take_out_of_memory", (PyCFunction)Context_take_out_of_memory, METH_NOARGS,
     "whether an allocation was refused since the last call"},
    {"close", (PyCFunction)Context_close, METH_NOARGS, "free the context now"},
    {"register_baseline", (PyCFunction)Context_register_baseline, METH_NOARGS,
     "make this context's global names a baseline (for every context); returns its index"},
    {"set_baseline", (PyCFunction)Context_set_baseline, METH_O,
     "set_baseline(index): the baseline of global names snapshot() leaves out"},
    {"install_host", (PyCFunction)Context_install_host, METH_NOARGS,
     "define the SCXML system variables, In() and __scxml_activeIds() in this context"},
    {"set_system", (PyCFunction)Context_set_system, METH_VARARGS,
     "set_system(sessionid, name, ioprocessors_json): the values of _sessionid, _name, _ioprocessors"},
    {"set_event", (PyCFunction)Context_set_event, METH_VARARGS,
     "set_event(name, type, sendid, origin, origintype, invokeid, data_json, reviver, raw): _event"},
    {"set_configuration", (PyCFunction)Context_set_configuration, METH_O,
     "set_configuration(ids): the active states' ids, for In()"},
    {"parse_json", (PyCFunction)Context_parse_json, METH_VARARGS,
     "parse_json(text, reviver=None): the engine's JSON.parse"},
    {"to_json", (PyCFunction)Context_to_json, METH_O,
     "to_json(value): JSON text of a JS value (None for undefined; a function as {__function__: source})"},
    {"is_array", (PyCFunction)Context_is_array, METH_O, "is_array(value): the engine's Array.isArray"},
    {"set_member", (PyCFunction)Context_set_member, METH_VARARGS,
     "set_member(target, name, json, reviver, strict): target[name] = the parsed JSON (target None: the globals)"},
    {"snapshot", (PyCFunction)Context_snapshot, METH_VARARGS,
     "snapshot(what, root=None): the session's data as JSON text ('all' or 'visible')"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ContextType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "openors.scxml.datamodel._quickjs.Context",
    .tp_basicsize = sizeof(ContextObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A QuickJS context of the process's shared runtime, with its own globals and budget.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Context_init,
    .tp_dealloc = (destructor)Context_dealloc,
    .tp_methods = Context_methods,
};

/* ------------------------------------------------------------------ Object */

static void Object_dealloc(ObjectObject *self)
{
    /* the value may outlive its context's close(): the runtime frees it */
    JS_FreeValueRT(runtime, self->value);
    Py_XDECREF(self->owner);
    PyObject_Free(self);
}

static PyObject *Object_call(ObjectObject *self, PyObject *args, PyObject *kwds)
{
    ContextObject *owner = self->owner;
    if (kwds && PyDict_Size(kwds)) {
        PyErr_SetString(PyExc_TypeError, "JS functions take no keyword arguments");
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    if (n > 64) {
        PyErr_SetString(PyExc_TypeError, "at most 64 arguments");
        return NULL;
    }
    Entry e;
    if (enter(owner, &e) < 0)
        return NULL;
    JSValue argv[64];
    Py_ssize_t i;
    PyObject *out = NULL;
    for (i = 0; i < n; i++) {
        argv[i] = to_js(owner, PyTuple_GET_ITEM(args, i));
        if (JS_IsException(argv[i])) {
            if (!PyErr_Occurred())
                raise_js_error(owner);
            break;
        }
    }
    if (i == n)
        out = finish(owner, JS_Call(owner->ctx, self->value, JS_UNDEFINED, (int)n, argv));
    for (Py_ssize_t j = 0; j < i; j++)
        JS_FreeValue(owner->ctx, argv[j]);
    leave(&e);
    return out;
}

static PyObject *Object_is_function(ObjectObject *self, PyObject *unused)
{
    (void)unused;
    if (!self->owner->ctx)
        Py_RETURN_FALSE;
    return PyBool_FromLong(JS_IsFunction(self->owner->ctx, self->value));
}

static PyMethodDef Object_methods[] = {
    {"is_function", (PyCFunction)Object_is_function, METH_NOARGS, "whether the object can be called"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ObjectType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "openors.scxml.datamodel._quickjs.Object",
    .tp_basicsize = sizeof(ObjectObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A JS object (or function) of one context; calling it calls it with `this` undefined.",
    .tp_dealloc = (destructor)Object_dealloc,
    .tp_call = (ternaryfunc)Object_call,
    .tp_methods = Object_methods,
};

/* ------------------------------------------------------------------ module */

static PyObject *mod_gc(PyObject *m, PyObject *unused)
{
    (void)m; (void)unused;
    if (ensure_runtime() < 0)
        return NULL;
    collect();
    Py_RETURN_NONE;
}

static PyObject *mod_collect_if_due(PyObject *m, PyObject *unused)
{
    (void)m; (void)unused;
    if (runtime && (total_used > gc_next || closed_bytes > GC_MIN + total_used / 4)) {
        collect();
        Py_RETURN_TRUE;
    }
    Py_RETURN_FALSE;
}

static PyObject *mod_gc_seconds(PyObject *m, PyObject *unused)
{
    (void)m; (void)unused;
    return PyFloat_FromDouble(gc_seconds_total);
}

static PyObject *mod_memory_used(PyObject *m, PyObject *unused)
{
    (void)m; (void)unused;
    return PyLong_FromSize_t(total_used);
}

static PyObject *mod_set_gc_callback(PyObject *m, PyObject *fn)
{
    (void)m;
    Py_XDECREF(gc_callback);
    gc_callback = fn == Py_None ? NULL : Py_NewRef(fn);
    Py_RETURN_NONE;
}

/* The runtime's objects by kind (JS_ComputeMemoryUsage): for measuring what a context costs. */
static PyObject *mod_memory_usage(PyObject *m, PyObject *unused)
{
    (void)m; (void)unused;
    if (ensure_runtime() < 0)
        return NULL;
    JSMemoryUsage u;
    JS_ComputeMemoryUsage(runtime, &u);
    return Py_BuildValue(
        "{sLsLsLsLsLsLsLsLsLsLsLsLsLsLsLsLsLsLsLsL}",
        "malloc_count", (long long)u.malloc_count, "malloc_size", (long long)u.malloc_size,
        "atom_count", (long long)u.atom_count, "atom_size", (long long)u.atom_size,
        "str_count", (long long)u.str_count, "str_size", (long long)u.str_size,
        "obj_count", (long long)u.obj_count, "obj_size", (long long)u.obj_size,
        "prop_count", (long long)u.prop_count, "prop_size", (long long)u.prop_size,
        "shape_count", (long long)u.shape_count, "shape_size", (long long)u.shape_size,
        "js_func_count", (long long)u.js_func_count, "js_func_size", (long long)u.js_func_size,
        "js_func_code_size", (long long)u.js_func_code_size,
        "js_func_pc2line_size", (long long)u.js_func_pc2line_size,
        "c_func_count", (long long)u.c_func_count, "array_count", (long long)u.array_count,
        "fast_array_elements", (long long)u.fast_array_elements,
        "binary_object_size", (long long)u.binary_object_size);
}

static PyMethodDef module_methods[] = {
    {"memory_usage", mod_memory_usage, METH_NOARGS, "the runtime's objects, shapes, strings... by count and bytes"},
    {"set_gc_callback", mod_set_gc_callback, METH_O, "fn(seconds) after each collection, or None"},
    {"gc", mod_gc, METH_NOARGS, "collect the runtime's cycles now"},
    {"collect_if_due", mod_collect_if_due, METH_NOARGS, "collect when the heap doubled or closed contexts left garbage"},
    {"gc_seconds", mod_gc_seconds, METH_NOARGS, "wall seconds spent collecting so far"},
    {"memory_used", mod_memory_used, METH_NOARGS, "bytes the runtime holds, all contexts together"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_quickjs",
    "QuickJS-ng contexts sharing one runtime: per-context memory accounts, cheap deadlines.",
    -1, module_methods,
};

PyMODINIT_FUNC PyInit__quickjs(void)
{
    if (PyType_Ready(&ContextType) < 0 || PyType_Ready(&ObjectType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m)
        return NULL;
    JSException = PyErr_NewException("openors.scxml.datamodel._quickjs.JSException", NULL, NULL);
    if (!JSException || PyModule_AddObjectRef(m, "JSException", JSException) < 0 ||
        PyModule_AddObjectRef(m, "Context", (PyObject *)&ContextType) < 0 ||
        PyModule_AddObjectRef(m, "Object", (PyObject *)&ObjectType) < 0 ||
        PyModule_AddStringConstant(m, "QUICKJS_VERSION", JS_GetVersion()) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
