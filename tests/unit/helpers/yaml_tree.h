/* Test-only YAML reader: parses a document with libyaml's parser into a small tree
 * (scalars keep their exact text and style; mappings keep their key order) so emitted
 * documents can be checked structurally. Header-only (static inline). */
#ifndef SMS_TEST_YAML_TREE_H
#define SMS_TEST_YAML_TREE_H

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef enum { YT_SCALAR, YT_SEQ, YT_MAP } yt_type;

typedef struct yt_node {
    yt_type type;
    char *text; /* scalar */
    size_t len;
    yaml_scalar_style_t style;
    struct yt_node **items; /* seq: elements; map: key, value, key, value, ... */
    size_t n;
} yt_node;

static inline void yt_free(yt_node *n)
{
    if (n == NULL) return;
    for (size_t i = 0; i < n->n; i++) yt_free(n->items[i]);
    free(n->items);
    free(n->text);
    free(n);
}

static inline int yt_push(yt_node *parent, yt_node *child)
{
    yt_node **g = realloc(parent->items, (parent->n + 1) * sizeof *g);
    if (g == NULL) return 0;
    parent->items = g;
    parent->items[parent->n++] = child;
    return 1;
}

/* Node starting at event ev (already read); NULL on error. Aliases are refused. */
static inline yt_node *yt_node_from(yaml_parser_t *p, yaml_event_t *ev)
{
    yt_node *n = calloc(1, sizeof *n);
    if (n == NULL) return NULL;
    if (ev->type == YAML_SCALAR_EVENT) {
        n->type = YT_SCALAR;
        n->len = ev->data.scalar.length;
        n->text = malloc(n->len + 1);
        if (n->text == NULL) goto fail;
        memcpy(n->text, ev->data.scalar.value, n->len);
        n->text[n->len] = '\0';
        n->style = ev->data.scalar.style;
        return n;
    }
    yaml_event_type_t end;
    if (ev->type == YAML_SEQUENCE_START_EVENT) {
        n->type = YT_SEQ;
        end = YAML_SEQUENCE_END_EVENT;
    } else if (ev->type == YAML_MAPPING_START_EVENT) {
        n->type = YT_MAP;
        end = YAML_MAPPING_END_EVENT;
    } else {
        goto fail;
    }
    for (;;) {
        yaml_event_t e;
        if (!yaml_parser_parse(p, &e)) goto fail;
        if (e.type == end) {
            yaml_event_delete(&e);
            return n;
        }
        yt_node *c = yt_node_from(p, &e);
        yaml_event_delete(&e);
        if (c == NULL || !yt_push(n, c)) {
            yt_free(c);
            goto fail;
        }
    }
fail:
    yt_free(n);
    return NULL;
}

/* Root node of the single document in text, or NULL. *explicit_start receives whether the
 * document had a "---" marker. */
static inline yt_node *yt_parse(const char *text, size_t len, int *explicit_start)
{
    yaml_parser_t p;
    yaml_event_t ev;
    yt_node *root = NULL;
    int ok = 1;
    if (!yaml_parser_initialize(&p)) return NULL;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    /* stream start, document start */
    for (int i = 0; i < 2 && ok; i++) {
        ok = yaml_parser_parse(&p, &ev);
        if (ok && i == 1) {
            ok = ev.type == YAML_DOCUMENT_START_EVENT;
            if (explicit_start != NULL) *explicit_start = !ev.data.document_start.implicit;
        }
        if (ok) yaml_event_delete(&ev);
    }
    if (ok && yaml_parser_parse(&p, &ev)) {
        root = yt_node_from(&p, &ev);
        yaml_event_delete(&ev);
    }
    /* document end, stream end: anything else (a second document) is refused */
    for (int i = 0; i < 2 && root != NULL; i++) {
        if (!yaml_parser_parse(&p, &ev)) {
            yt_free(root);
            root = NULL;
            break;
        }
        yaml_event_type_t want = i == 0 ? YAML_DOCUMENT_END_EVENT : YAML_STREAM_END_EVENT;
        if (ev.type != want) {
            yt_free(root);
            root = NULL;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return root;
}

/* Value of key in a mapping, or NULL. */
static inline yt_node *yt_get(const yt_node *map, const char *key)
{
    if (map == NULL || map->type != YT_MAP) return NULL;
    for (size_t i = 0; i + 1 < map->n; i += 2)
        if (map->items[i]->type == YT_SCALAR && strcmp(map->items[i]->text, key) == 0) return map->items[i + 1];
    return NULL;
}

/* Key text of pair i of a mapping. */
static inline const char *yt_key(const yt_node *map, size_t i) { return map->items[2 * i]->text; }

#endif
