/* The QuickJS-ng engine, compiled with every allocation going to the runtime's allocator.
 * Upstream pools small blocks of all contexts in shared arenas unless it is built for ASan; the
 * per-context memory accounts of _quickjs.c need to see each block, so this unit asks for that
 * path (the define changes nothing else in quickjs.c). The sources come from the pinned sdist
 * that setup.py fetches; none are kept in this repository. */
#define __SANITIZE_ADDRESS__ 1
#include "quickjs.c"
