/* The QuickJS-ng engine, compiled with every allocation going to the runtime's allocator.
 * Upstream pools small blocks of all contexts in shared arenas unless it is built for ASan; the
 * per-context memory accounts of _quickjs.c need to see each block, so this unit asks for that
 * path (the define changes nothing else in quickjs.c). The sources come from the pinned sdist
 * that setup.py fetches; none are kept in this repository.
 *
 * Below the engine, a few functions of ours that need its internals (this is the one unit that
 * sees them): the engine's own Array.isArray, JSON.parse and property assignment, and RegExp
 * installed on first use. _quickjs.c declares and calls them. */
#define __SANITIZE_ADDRESS__ 1
#include "quickjs.c"

/* Two of the engine's own operations the binding needs and quickjs.h does not export: they are
   what Array.isArray and JSON.parse do, reached without looking anything up in a context's
   globals (which a document may have replaced). */
int openors_is_array(JSContext *ctx, JSValueConst value)
{
    return js_is_array(ctx, value);
}

JSValue openors_json_parse(JSContext *ctx, JSValueConst text, JSValueConst reviver)
{
    JSValueConst argv[2] = {text, reviver};
    return js_json_parse(ctx, JS_UNDEFINED, JS_IsUndefined(reviver) ? 1 : 2, argv);
}

/* A frozen plain object with the `n` enumerable fields `names`, holding `values` (taken in every
   case). The first one a context makes is built field by field; its shape (shared by the engine
   with every object of the same fields) is then kept in `*shape`, and the next ones are made from
   it at once: no name, shape or property lookup per field, no copy of the shape to freeze it. The
   fields are made read-only and fixed as they are defined and the object not extensible, which is
   what freezing it would leave. The caller releases `*shape` with openors_release_shape. */
JSValue openors_new_frozen_record(JSContext *ctx, void **shape, const char *const *names,
                                  JSValue *values, int n)
{
    JSShape *sh = *shape;
    if (sh && sh->prop_count == n && sh->proto == JS_VALUE_GET_OBJ(ctx->class_proto[JS_CLASS_OBJECT])) {
        JSProperty props[16];
        if (n > 16)
            goto slow;
        for (int i = 0; i < n; i++)
            props[i].u.value = values[i];
        JSValue obj = JS_NewObjectFromShape(ctx, js_dup_shape(sh), JS_CLASS_OBJECT, props);
        if (!JS_IsException(obj))
            JS_VALUE_GET_OBJ(obj)->extensible = false;
        return obj;  /* on failure the engine freed the values */
    }
slow:;
    JSValue obj = JS_NewObject(ctx);
    int i = 0;
    if (!JS_IsException(obj)) {
        for (; i < n; i++) {
            if (JS_DefinePropertyValueStr(ctx, obj, names[i], values[i], JS_PROP_ENUMERABLE) < 0) {
                i++;
                goto failed;
            }
        }
        if (JS_PreventExtensions(ctx, obj) < 0)
            goto failed;
        JSShape *made = JS_VALUE_GET_OBJ(obj)->shape;
        if (made->is_hashed && made != sh) {
            if (sh)
                js_free_shape(ctx->rt, sh);
            *shape = js_dup_shape(made);
        }
        return obj;
    }
failed:
    for (; i < n; i++)
        JS_FreeValue(ctx, values[i]);
    JS_FreeValue(ctx, obj);
    return JS_EXCEPTION;
}

void openors_release_shape(JSRuntime *rt, void **shape)
{
    if (*shape)
        js_free_shape(rt, *shape);
    *shape = NULL;
}

/* One member `"key":value` of an object being written by JSON.stringify, into `jsc`: the value's
   toJSON is called with its key, as JSON.stringify calls it; nothing is written when the value
   has no JSON form (undefined, a function, a symbol). `val` is taken. 1: written, 0: nothing, -1:
   an exception. */
static int snapshot_member(JSContext *ctx, JSONStringifyContext *jsc, JSValueConst holder,
                           JSAtom atom, JSValue val, bool first)
{
    JSValue key = JS_AtomToString(ctx, atom);
    if (JS_IsException(key)) {
        JS_FreeValue(ctx, val);
        return -1;
    }
    val = js_json_check(ctx, jsc, holder, val, key);
    if (JS_IsException(val) || JS_IsUndefined(val)) {
        JS_FreeValue(ctx, key);
        return JS_IsException(val) ? -1 : 0;
    }
    JSValue quoted = JS_ToQuotedStringFree(ctx, key);
    if (JS_IsException(quoted) || (!first && string_buffer_putc8(jsc->b, ',')) ||
        string_buffer_concat_value_free(jsc->b, quoted) || string_buffer_putc8(jsc->b, ':')) {
        JS_FreeValue(ctx, val);
        return -1;
    }
    return js_json_to_str(ctx, jsc, holder, val, jsc->empty) ? -1 : 1;
}

/* The session's data as the snapshot's JSON text, `{"variables":{...},"data_root":root}`, written
   in one pass as JSON.stringify would write those two objects, without making them. The variables
   are the global object's own string-keyed properties that `skip` (the baseline) does not leave
   out, whose names do not start with "__", that are not accessors of the data root's items, and
   whose values are not functions, in the order they were defined; an undefined one is written {"__undefined__":true} (JSON has no undefined). */
JSValue openors_snapshot_json(JSContext *ctx, JSValueConst root, int (*skip)(void *, JSAtom), void *opaque)
{
    JSRuntime *rt = ctx->rt;
    StringBuffer b;
    JSONStringifyContext jsc = {.replacer_func = JS_UNDEFINED, .stack = JS_UNDEFINED,
                                .property_list = JS_UNDEFINED, .gap = JS_UNDEFINED, .b = &b};
    JSValue global = JS_GetGlobalObject(ctx);
    JSAtom *names = NULL;
    uint32_t n = 0;
    JSValue ret = JS_EXCEPTION;
    jsc.empty = js_empty_string(rt);
    string_buffer_init(ctx, &b, 64);
    jsc.gap = js_dup(jsc.empty);
    jsc.stack = JS_NewArray(ctx);
    if (JS_IsException(jsc.stack))
        goto done;
    {   /* the names first: reading a value may run a getter, which may change the global object */
        JSShape *sh = JS_VALUE_GET_OBJ(global)->shape;
        JSShapeProperty *prs = get_shape_prop(sh);
        names = js_malloc(ctx, sizeof(JSAtom) * (sh->prop_count ? sh->prop_count : 1));
        if (!names)
            goto done;
        for (uint32_t i = 0; i < sh->prop_count; i++, prs++) {
            JSAtom atom = prs->atom;
            if (atom == JS_ATOM_NULL || JS_AtomGetKind(ctx, atom) != JS_ATOM_KIND_STRING || skip(opaque, atom))
                continue;
            /* an accessor standing for the data root's item of the same name (the ORS dialect's
               plain names for `_data.X`): that item is written under data_root, once */
            if ((prs->flags & JS_PROP_TMASK) == JS_PROP_GETSET && JS_IsObject(root) &&
                find_own_property1(JS_VALUE_GET_OBJ(root), atom))
                continue;
            if (!__JS_AtomIsTaggedInt(atom)) {
                JSString *str = rt->atom_array[atom];
                if (str->len >= 2 && string_get(str, 0) == '_' && string_get(str, 1) == '_')
                    continue;
            }
            names[n++] = JS_DupAtom(ctx, atom);
        }
    }
    if (string_buffer_puts8(&b, "{\"variables\":{"))
        goto done;
    bool first = true;
    for (uint32_t i = 0; i < n; i++) {
        JSValue v = JS_GetProperty(ctx, global, names[i]);
        if (JS_IsException(v))
            goto done;
        if (JS_IsFunction(ctx, v)) {
            JS_FreeValue(ctx, v);
            continue;
        }
        if (JS_IsUndefined(v)) {
            JSValue key = JS_AtomToString(ctx, names[i]);
            JSValue quoted = JS_IsException(key) ? JS_EXCEPTION : JS_ToQuotedStringFree(ctx, key);
            if (JS_IsException(quoted) || (!first && string_buffer_putc8(&b, ',')) ||
                string_buffer_concat_value_free(&b, quoted) || string_buffer_puts8(&b, ":{\"__undefined__\":true}"))
                goto done;
            first = false;
            continue;
        }
        int r = snapshot_member(ctx, &jsc, global, names[i], v, first);
        if (r < 0)
            goto done;
        first = first && r == 0;
    }
    if (string_buffer_putc8(&b, '}'))
        goto done;
    {
        JSAtom key = JS_NewAtom(ctx, "data_root");
        int r = key == JS_ATOM_NULL ? -1 : snapshot_member(ctx, &jsc, global, key, js_dup(root), false);
        JS_FreeAtom(ctx, key);
        if (r < 0 || string_buffer_putc8(&b, '}'))
            goto done;
    }
    ret = string_buffer_end(&b);
done:
    if (JS_IsException(ret))
        string_buffer_free(&b);
    for (uint32_t i = 0; i < n; i++)
        JS_FreeAtom(ctx, names[i]);
    js_free(ctx, names);
    JS_FreeValue(ctx, global);
    JS_FreeValue(ctx, jsc.empty);
    JS_FreeValue(ctx, jsc.gap);
    JS_FreeValue(ctx, jsc.stack);
    return ret;
}

/* `obj[prop] = val` as an assignment in strict code (a failure throws) or in sloppy code (a
   read-only property is silently left alone); takes ownership of val. */
int openors_set_property(JSContext *ctx, JSValueConst obj, JSAtom prop, JSValue val, int strict)
{
    return JS_SetPropertyInternal(ctx, obj, prop, val, strict ? JS_PROP_THROW : 0);
}

/* RegExp on first use (the binding's lazy globals): a context starts without the RegExp
   constructor and prototype (about 3.5 KiB), and gets them, through `installer`, before anything
   can reach them: the global name `RegExp` (the binding's stand-in), a regular expression literal
   (this hook compiles it, in whichever context parses it), and String.prototype.match, matchAll
   and search, which make a RegExp of a string argument (their entries are redirected here while
   they are still unmade, which costs nothing). Bytecode made in another context is told apart by
   openors_regexp_literals: the binding marks bytes compiled while it grew. */
static int (*regexp_installer)(JSContext *ctx);
unsigned long openors_regexp_literals;

static int ensure_regexp(JSContext *ctx)
{
    if (!JS_IsNull(ctx->regexp_ctor))
        return 0;
    return regexp_installer(ctx);
}

static JSValue openors_compile_regexp(JSContext *ctx, JSValueConst pattern, JSValueConst flags)
{
    openors_regexp_literals++;
    if (ensure_regexp(ctx) < 0)
        return JS_EXCEPTION;
    ctx->compile_regexp = openors_compile_regexp;  /* installing set the engine's own */
    return js_compile_regexp(ctx, pattern, flags);
}

static JSValue openors_string_match(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv, int atom)
{
    if (ensure_regexp(ctx) < 0)
        return JS_EXCEPTION;
    return js_string_match(ctx, this_val, argc, argv, atom);
}

static const JSCFunctionListEntry openors_string_match_funcs[] = {
    JS_CFUNC_MAGIC_DEF("match", 1, openors_string_match, JS_ATOM_Symbol_match),
    JS_CFUNC_MAGIC_DEF("matchAll", 1, openors_string_match, JS_ATOM_Symbol_matchAll),
    JS_CFUNC_MAGIC_DEF("search", 1, openors_string_match, JS_ATOM_Symbol_search),
};

/* Call after JS_AddIntrinsicBaseObjects, instead of JS_AddIntrinsicRegExp. */
int openors_defer_regexp(JSContext *ctx, int (*installer)(JSContext *ctx))
{
    JSObject *p = JS_VALUE_GET_OBJ(ctx->class_proto[JS_CLASS_STRING]);
    regexp_installer = installer;
    ctx->compile_regexp = openors_compile_regexp;
    for (size_t i = 0; i < countof(openors_string_match_funcs); i++) {
        const JSCFunctionListEntry *e = &openors_string_match_funcs[i];
        JSAtom atom = JS_NewAtom(ctx, e->name);
        JSProperty *pr;
        JSShapeProperty *prs = find_own_property(&pr, p, atom);
        int ok = prs && (prs->flags & JS_PROP_TMASK) == JS_PROP_AUTOINIT &&
                 js_autoinit_get_id(pr) == JS_AUTOINIT_ID_PROP;
        if (ok)
            pr->u.init.opaque = (void *)e;  /* still unmade: made from our entry when first read */
        JS_FreeAtom(ctx, atom);
        if (!ok)
            return -1;
    }
    return 0;
}

/* After the binding installed RegExp: keep counting literals (the engine set its own compiler). */
void openors_regexp_installed(JSContext *ctx)
{
    ctx->compile_regexp = openors_compile_regexp;
}

/* RegExp in this context now, if it is not there yet (bytecode holding a literal is about to run). */
int openors_ensure_regexp(JSContext *ctx)
{
    return ensure_regexp(ctx);
}
