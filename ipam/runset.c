// SPDX-License-Identifier: Apache-2.0
/* ipam: the set of taken addresses as coalesced runs in an AVL tree.
 *
 * Runs are disjoint and never adjacent (adding a value next to a run extends
 * it, adding the gap between two runs merges them), so the first free value
 * at or after x is x itself or the end of the run holding x plus one: one
 * O(log r) descent. Round-robin allocation makes consecutive runs, so a pool
 * filled in order is a handful of nodes whatever its size; at worst (every
 * other address taken) there is one node per allocated address. */
#include "ipam/ipam-internal.h"

static int height(const struct ipam__run *n)
{
	return n ? n->height : 0;
}

static void fix_height(struct ipam__run *n)
{
	int l = height(n->left), r = height(n->right);
	n->height = 1 + (l > r ? l : r);
}

static struct ipam__run *rotate_right(struct ipam__run *y)
{
	struct ipam__run *x = y->left;
	y->left = x->right;
	x->right = y;
	fix_height(y);
	fix_height(x);
	return x;
}

static struct ipam__run *rotate_left(struct ipam__run *x)
{
	struct ipam__run *y = x->right;
	x->right = y->left;
	y->left = x;
	fix_height(x);
	fix_height(y);
	return y;
}

static struct ipam__run *rebalance(struct ipam__run *n)
{
	fix_height(n);
	int bf = height(n->left) - height(n->right);
	if (bf > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rotate_left(n->left);
		return rotate_right(n);
	}
	if (bf < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rotate_right(n->right);
		return rotate_left(n);
	}
	return n;
}

static struct ipam__run *tree_insert(struct ipam__run *n, struct ipam__run *node)
{
	if (!n)
		return node;
	if (node->first < n->first)
		n->left = tree_insert(n->left, node);
	else
		n->right = tree_insert(n->right, node);
	return rebalance(n);
}

static struct ipam__run *tree_remove_min(struct ipam__run *n, struct ipam__run **min)
{
	if (!n->left) {
		*min = n;
		return n->right;
	}
	n->left = tree_remove_min(n->left, min);
	return rebalance(n);
}

/* Unlinks the node whose key is `first` (it must exist) into *removed. */
static struct ipam__run *tree_erase(struct ipam__run *n, ipam__u128 first, struct ipam__run **removed)
{
	if (!n)
		return NULL;
	if (first < n->first) {
		n->left = tree_erase(n->left, first, removed);
	} else if (first > n->first) {
		n->right = tree_erase(n->right, first, removed);
	} else {
		*removed = n;
		struct ipam__run *l = n->left, *r = n->right, *m;
		if (!r)
			return l;
		r = tree_remove_min(r, &m);
		m->left = l;
		m->right = r;
		return rebalance(m);
	}
	return rebalance(n);
}

/* The run with the largest first <= v, or NULL. */
static struct ipam__run *tree_floor(struct ipam__run *n, ipam__u128 v)
{
	struct ipam__run *best = NULL;
	while (n) {
		if (n->first <= v) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

static void tree_free(struct ipam__run *n)
{
	/* Depth is O(log r): recursion is bounded. */
	if (!n)
		return;
	tree_free(n->left);
	tree_free(n->right);
	free(n);
}

void ipam__runset_init(struct ipam__runset *s)
{
	*s = (struct ipam__runset){ 0 };
}

void ipam__runset_clear(struct ipam__runset *s)
{
	tree_free(s->root);
	ipam__runset_init(s);
}

static struct ipam__run *run_new(struct ipam__runset *s, ipam__u128 first, ipam__u128 last)
{
	struct ipam__run *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->first = first;
	n->last = last;
	n->height = 1;
	s->n_runs++;
	s->mem_bytes += sizeof(*n);
	return n;
}

static void run_drop(struct ipam__runset *s, ipam__u128 first)
{
	struct ipam__run *removed = NULL;
	s->root = tree_erase(s->root, first, &removed);
	if (removed) {
		free(removed);
		s->n_runs--;
		s->mem_bytes -= sizeof(*removed);
	}
}

bool ipam__runset_has(const struct ipam__runset *s, ipam__u128 v)
{
	const struct ipam__run *p = tree_floor(s->root, v);
	return p && p->last >= v;
}

int ipam__runset_add(struct ipam__runset *s, ipam__u128 v)
{
	struct ipam__run *p = tree_floor(s->root, v);
	if (p && p->last >= v)
		return -EEXIST;
	struct ipam__run *q = NULL;
	if (v != IPAM__U128_MAX) {
		q = tree_floor(s->root, v + 1);
		if (q && q->first != v + 1)
			q = NULL;
	}
	bool join_left = p && p->last + 1 == v; /* p->last < v: no overflow */

	if (join_left && q) {
		p->last = q->last;
		run_drop(s, q->first);
	} else if (join_left) {
		p->last = v;
	} else if (q) {
		q->first = v; /* still above p->last: the order holds */
	} else {
		struct ipam__run *n = run_new(s, v, v);
		if (!n)
			return -ENOMEM;
		s->root = tree_insert(s->root, n);
	}
	return 0;
}

int ipam__runset_del(struct ipam__runset *s, ipam__u128 v)
{
	struct ipam__run *p = tree_floor(s->root, v);
	if (!p || p->last < v)
		return -ENOENT;
	if (p->first == p->last) {
		run_drop(s, p->first);
	} else if (v == p->first) {
		p->first = v + 1;
	} else if (v == p->last) {
		p->last = v - 1;
	} else {
		struct ipam__run *n = run_new(s, v + 1, p->last);
		if (!n)
			return -ENOMEM;
		p->last = v - 1;
		s->root = tree_insert(s->root, n);
	}
	return 0;
}

bool ipam__runset_first_free(const struct ipam__runset *s, ipam__u128 lo, ipam__u128 hi, ipam__u128 *out)
{
	if (lo > hi)
		return false;
	const struct ipam__run *p = tree_floor(s->root, lo);
	if (!p || p->last < lo) {
		*out = lo;
		return true;
	}
	if (p->last >= hi)
		return false;
	*out = p->last + 1; /* runs are never adjacent: this one is free */
	return true;
}
