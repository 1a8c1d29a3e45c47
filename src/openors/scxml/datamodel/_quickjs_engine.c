/* The QuickJS-ng engine, compiled with every allocation going to the runtime's allocator.
 * Upstream pools small blocks of all contexts in shared arenas unless it is built for ASan; the
 * per-context memory accounts of _quickjs.c need to see each block, so this unit asks for that
 * path (the define changes nothing else in quickjs.c). The sources come from the pinned sdist
 * that setup.py fetches; none are kept in this repository. */
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

/* `obj[prop] = val` as an assignment in strict code (a failure throws) or in sloppy code (a
   read-only property is silently left alone); takes ownership of val. */
int openors_set_property(JSContext *ctx, JSValueConst obj, JSAtom prop, JSValue val, int strict)
{
    return JS_SetPropertyInternal(ctx, obj, prop, val, strict ? JS_PROP_THROW : 0);
}
