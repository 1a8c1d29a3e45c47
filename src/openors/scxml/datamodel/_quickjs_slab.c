/* Slabs for the QuickJS binding's small blocks (_quickjs.c's allocator): blocks of every context,
 * carved from shared 4 KiB pages by 8-byte size class.
 *
 * Why: a context is mostly small blocks (objects, property arrays, shapes: about 260 in a W3C
 * context, nearly all under 256 bytes). From malloc each would also pay the C library's own 8-byte
 * header and its rounding to 16 bytes; here a block is its size rounded to 8, and the page it lies
 * in (found by masking its address) says its size. The caller's own header (the block's owner)
 * is part of the block. Pages come from the system in runs of SLAB_RUN; a page whose blocks are
 * all free goes to a list of free pages, and past SLAB_KEEP of them back to the system (madvise).
 * Called only by the binding's allocator, with the GIL held: no locking. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define SLAB_PAGE 4096
#define SLAB_MAX 256      /* the largest block served */
#define SLAB_STEP 8
#define SLAB_CLASSES (SLAB_MAX / SLAB_STEP)
#define SLAB_RUN 64       /* pages asked of the system at a time */
#define SLAB_KEEP 256     /* free pages kept resident (1 MiB) before they are given back */

const size_t openors_slab_max = SLAB_MAX;

typedef struct SlabPage {
    struct SlabPage *next, *prev;   /* in its class's list of pages with a free block */
    void *free;                     /* first free block; a free block holds the next one */
    char *fresh;                    /* blocks from here on were never handed out */
    uint32_t used, capacity, block_size, in_list;
} SlabPage;

static SlabPage *slab_partial[SLAB_CLASSES];  /* pages of each class with room */
/* Free pages, kept apart from the pages themselves: writing a link into a page given back to the
   system would make it resident again. The first SLAB_KEEP are resident, the others given back. */
static void **free_pages;
static size_t n_free_pages, free_pages_cap;
static char *run_next, *run_end;              /* the rest of the last run from the system */

static int slab_class(size_t total)
{
    return (int)((total + SLAB_STEP - 1) / SLAB_STEP) - 1;
}

static SlabPage *page_of(void *block)
{
    return (SlabPage *)((uintptr_t)block & ~(uintptr_t)(SLAB_PAGE - 1));
}

static void *system_page(void)
{
    if (n_free_pages)
        return free_pages[--n_free_pages];  /* the most recently freed: likely still resident */
    if (run_next == run_end) {
        void *run = mmap(NULL, (size_t)SLAB_PAGE * SLAB_RUN, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (run == MAP_FAILED)
            return NULL;
        run_next = run;  /* mmap aligns to the system page, a multiple of SLAB_PAGE */
        run_end = run_next + (size_t)SLAB_PAGE * SLAB_RUN;
    }
    void *page = run_next;
    run_next += SLAB_PAGE;
    return page;
}

static void release_page(SlabPage *page)
{
    int keep = n_free_pages < SLAB_KEEP;
    if (n_free_pages == free_pages_cap) {
        size_t cap = free_pages_cap ? 2 * free_pages_cap : 1024;
        void **grown = realloc(free_pages, cap * sizeof(void *));
        if (grown) {
            free_pages = grown;
            free_pages_cap = cap;
        } else {
            keep = 0;  /* not listed: its address space is lost, its memory is given back below */
        }
    }
    if (!keep)
        madvise(page, SLAB_PAGE, MADV_DONTNEED);  /* stays mapped; reads back as zeros */
    if (n_free_pages < free_pages_cap)
        free_pages[n_free_pages++] = page;
}

static void list_remove(SlabPage *page, int cls)
{
    if (page->prev)
        page->prev->next = page->next;
    else
        slab_partial[cls] = page->next;
    if (page->next)
        page->next->prev = page->prev;
    page->next = page->prev = NULL;
    page->in_list = 0;
}

static void list_push(SlabPage *page, int cls)
{
    page->prev = NULL;
    page->next = slab_partial[cls];
    if (page->next)
        page->next->prev = page;
    slab_partial[cls] = page;
    page->in_list = 1;
}

static void *slab_alloc(int cls)
{
    SlabPage *page = slab_partial[cls];
    if (!page) {
        page = system_page();
        if (!page)
            return NULL;
        uint32_t size = (uint32_t)(cls + 1) * SLAB_STEP;
        size_t first = (sizeof(SlabPage) + SLAB_STEP - 1) / SLAB_STEP * SLAB_STEP;
        page->free = NULL;
        page->fresh = (char *)page + first;
        page->used = 0;
        page->block_size = size;
        page->capacity = (uint32_t)((SLAB_PAGE - first) / size);
        list_push(page, cls);
    }
    void *block;
    if (page->free) {
        block = page->free;
        page->free = *(void **)block;
    } else {
        block = page->fresh;
        page->fresh += page->block_size;
    }
    if (++page->used == page->capacity)
        list_remove(page, cls);
    return block;
}

static void slab_free(void *h)
{
    SlabPage *page = page_of(h);
    int cls = slab_class(page->block_size);
    *(void **)h = page->free;
    page->free = h;
    if (--page->used == 0) {
        if (page->in_list)
            list_remove(page, cls);
        release_page(page);
    } else if (!page->in_list) {
        list_push(page, cls);
    }
}

void *openors_slab_alloc(size_t total)
{
    if (total > SLAB_MAX)
        return NULL;
    return slab_alloc(slab_class(total < 16 ? 16 : total));  /* a free block holds a pointer */
}

void openors_slab_free(void *block)
{
    slab_free(block);
}

size_t openors_slab_size(const void *block)
{
    return page_of((void *)block)->block_size;
}
