/*
 * ole2.c — OLE2 / Compound File Binary reader (facts from [MS-CFB]) for
 * .doc/.xls/.ppt/.msi and vbaProject.bin, written for hostile input.
 *
 * Every sector number is checked against the file, every chain walk is
 * capped at the number of sectors (a loop cannot run forever), the directory
 * tree walk marks visited entries, and stream reads are bounded by the walk's
 * per-file budget. What it looks at:
 *   - VBA projects (a storage holding "dir" and "_VBA_PROJECT") -> vba.c;
 *   - embedded objects ("\1Ole10Native", "Package", "CONTENTS") and any
 *     stream that starts like a file worth unpacking -> child items;
 *   - Excel BIFF macro sheets, PowerPoint embedded objects, DDE -> office.c;
 *   - encrypted OOXML ("EncryptedPackage").
 */
#include <string.h>
#include <strings.h>

#include "files/files-private.h"

#define CFB_FREE 0xFFFFFFFFu
#define CFB_END 0xFFFFFFFEu
#define CFB_MAX_REG 0xFFFFFFFAu
#define CFB_MAX_DIR_ENTRIES 65536
#define CFB_MAX_TREE_DEPTH 32


struct cfb {
	const unsigned char *d;
	size_t len;
	unsigned shift, mshift;
	size_t ssz, nsect;
	uint32_t *fat;
	size_t nfat;
	uint32_t *minifat;
	size_t nminifat;
	unsigned char *ministream;
	size_t ministream_len;
	unsigned char *dir;
	size_t ndir;
	uint32_t cutoff;
	size_t budget;
};

struct cfb_entry {
	char name[64];	/* ASCII-folded name (non-ASCII as '?') */
	int type;
	uint32_t left, right, child, start;
	uint64_t size;
};

static const unsigned char *sector(const struct cfb *c, uint32_t n)
{
	size_t off;

	if (n >= c->nsect)
		return NULL;
	off = ((size_t)n + 1) << c->shift;
	if (off > c->len || c->len - off < c->ssz)
		return NULL;
	return c->d + off;
}

/* Follows a FAT chain from start and copies up to max bytes into *out_r
 * (gv_malloc'd). 1 ok, 0 chain broken (partial data returned), -1 none. */
static int read_chain(const struct cfb *c, uint32_t start, size_t max,
		      unsigned char **out_r, size_t *len_r)
{
	size_t cap = max, len = 0, steps = 0;
	unsigned char *out = gv_malloc(cap ? cap : 1);
	uint32_t s = start;
	int ret = 1;

	while (len < max) {
		const unsigned char *p;
		size_t n;

		if (s == CFB_END)
			break;
		if (s > CFB_MAX_REG || s >= c->nfat || ++steps > c->nsect ||
		    (p = sector(c, s)) == NULL) {
			ret = 0;
			break;
		}
		n = max - len < c->ssz ? max - len : c->ssz;
		memcpy(out + len, p, n);
		len += n;
		s = c->fat[s];
	}
	*out_r = out;
	*len_r = len;
	return ret;
}

static int load_fat(struct cfb *c)
{
	const unsigned char *h = c->d;
	uint32_t nfatsect = gvf_le32(h + 0x2C);
	uint32_t difat = gvf_le32(h + 0x44);
	size_t per = c->ssz / 4, k = 0, steps = 0;

	if (nfatsect == 0 || nfatsect > c->nsect)
		return -1;
	c->nfat = gv_mul_size(nfatsect, per);
	c->fat = gv_malloc(gv_mul_size(c->nfat, 4));
	memset(c->fat, 0xFF, c->nfat * 4);
	for (uint32_t i = 0; i < nfatsect; i++) {
		uint32_t fs;
		const unsigned char *p;

		if (i < 109) {
			fs = gvf_le32(h + 0x4C + 4 * i);
		} else {
			/* DIFAT sectors: per-1 entries, then the next one. */
			const unsigned char *dp = sector(c, difat);

			if (dp == NULL || ++steps > c->nsect)
				return 0;
			fs = gvf_le32(dp + 4 * k);
			if (++k == per - 1) {
				difat = gvf_le32(dp + 4 * k);
				k = 0;
			}
		}
		if ((p = sector(c, fs)) == NULL)
			return 0;
		for (size_t j = 0; j < per; j++)
			c->fat[(size_t)i * per + j] = gvf_le32(p + 4 * j);
	}
	return 1;
}

static void entry_at(const struct cfb *c, uint32_t i, struct cfb_entry *e)
{
	const unsigned char *p = c->dir + (size_t)i * 128;
	unsigned nl = gvf_le16(p + 64);
	size_t k;

	if (nl > 64)
		nl = 64;
	for (k = 0; k + 1 < nl / 2 + 0u && k < 63; k++) {
		uint16_t ch = gvf_le16(p + 2 * k);

		e->name[k] = ch == 0 ? '\0' : ch < 0x80 ? (char)ch :
			     ch == 1 ? '\1' : '?';
	}
	e->name[k] = '\0';
	e->type = p[66];
	e->left = gvf_le32(p + 68);
	e->right = gvf_le32(p + 72);
	e->child = gvf_le32(p + 76);
	e->start = gvf_le32(p + 116);
	e->size = gvf_le32(p + 120);
	if (c->shift == 12)
		e->size |= (uint64_t)gvf_le32(p + 124) << 32;
}

/* Reads a stream (FAT or miniFAT by its size). Caller frees *out_r. */
static void read_stream(const struct cfb *c, const struct cfb_entry *e,
			unsigned char **out_r, size_t *len_r, bool *cut_r)
{
	size_t want = e->size > c->budget ? c->budget : (size_t)e->size;

	*cut_r = e->size > c->budget;
	/* A chain cannot hold more than the file (or the mini stream): do not
	 * allocate what a lying directory entry claims. */
	if (e->size >= c->cutoff && want > c->len)
		want = c->len;
	if (e->size < c->cutoff && want > c->ministream_len)
		want = c->ministream_len;
	if (e->size >= c->cutoff) {
		(void)read_chain(c, e->start, want, out_r, len_r);
		return;
	}
	/* Mini stream: 64-byte sectors chained through the miniFAT. */
	unsigned char *out = gv_malloc(want ? want : 1);
	size_t len = 0, steps = 0, msz = (size_t)1 << c->mshift;
	uint32_t s = e->start;

	while (len < want && s != CFB_END && s < c->nminifat &&
	       ++steps <= c->nminifat) {
		size_t off = (size_t)s << c->mshift, n;

		if (off >= c->ministream_len || c->ministream_len - off < msz)
			break;
		n = want - len < msz ? want - len : msz;
		memcpy(out + len, c->ministream + off, n);
		len += n;
		s = c->minifat[s];
	}
	*out_r = out;
	*len_r = len;
}

struct vba_ctx {
	const struct cfb *c;
	uint32_t storage;	/* the VBA storage's child tree root */
};

/* Finds a stream by name among the children of a storage (tree walk). */
static int find_in(const struct cfb *c, uint32_t root, const char *name,
		   struct cfb_entry *out)
{
	uint32_t stack[CFB_MAX_TREE_DEPTH * 2];
	size_t sp = 0, steps = 0;

	if (root < c->ndir)
		stack[sp++] = root;
	while (sp > 0 && ++steps <= c->ndir) {
		uint32_t i = stack[--sp];
		struct cfb_entry e;

		entry_at(c, i, &e);
		if (strcasecmp(e.name, name) == 0) {
			*out = e;
			return 1;
		}
		if (e.left < c->ndir && sp < GV_ARRAY_LEN(stack))
			stack[sp++] = e.left;
		if (e.right < c->ndir && sp < GV_ARRAY_LEN(stack))
			stack[sp++] = e.right;
	}
	return 0;
}

static int vba_stream(void *ctx, const char *name, const unsigned char **d_r,
		      size_t *len_r)
{
	struct vba_ctx *v = ctx;
	struct cfb_entry e;
	unsigned char *d;
	bool cut;

	if (find_in(v->c, v->storage, name, &e) <= 0 || e.type != 2)
		return 0;
	read_stream(v->c, &e, &d, len_r, &cut);
	*d_r = d;	/* freed by the caller through gv_free */
	return 1;
}

static bool worth_unpacking(const unsigned char *d, size_t len)
{
	static const char *const sigs[] = {
		"MZ", "PK\x03\x04", "%PDF", "{\\rt", "\xD0\xCF\x11\xE0",
		"7z\xBC\xAF", "Rar!", "\x1F\x8B", "MSCF", "\x7F" "ELF", NULL,
	};

	for (size_t i = 0; sigs[i] != NULL; i++)
		if (len >= strlen(sigs[i]) && memcmp(d, sigs[i], strlen(sigs[i])) == 0)
			return true;
	return false;
}

/* OLE1 "Package" native data: u16 kind, label\0, source path\0, u32, u32
 * len + temp path, u32 size + file bytes. The file is a child. */
static void ole10native(struct gvf_walk *w, const struct gvf_item *it,
			const unsigned char *d, size_t len)
{
	const unsigned char *p, *end = d + len, *nul;
	const char *label;
	uint32_t n;

	if (len < 4)
		return;
	p = d + 4;	/* total size */
	if (end - p >= 2 && (nul = memchr(p + 2, 0, (size_t)(end - p - 2))) != NULL) {
		label = gv_pstrndup(w->pool, (const char *)p + 2,
				    (size_t)(nul - p - 2));
		p = nul + 1;
		if ((nul = memchr(p, 0, (size_t)(end - p))) != NULL) {
			p = nul + 1 + 4;	/* source path, reserved */
			if (p + 4 <= end && (n = gvf_le32(p)) <= (size_t)(end - p - 4)) {
				p += 4 + n;
				if (p + 4 <= end && (n = gvf_le32(p)) <= (size_t)(end - p - 4)) {
					gvf_finding(w, it->path, "office.embedded_file", 30,
						    gv_psprintf(w->pool, "OLE package "
								"'%s'", label));
					gvf_child(w, it, label, p + 4, n, 0);
					return;
				}
			}
		}
	}
	/* Not a Package: the native data itself (after its size). */
	gvf_child(w, it, "Ole10Native", d + 4, len - 4, 0);
}

static void on_stream(struct gvf_walk *w, const struct gvf_item *it,
		      const struct cfb *c, const struct cfb_entry *e,
		      uint32_t parent_child, const char *parent_name)
{
	unsigned char *d;
	size_t len;
	bool cut;

	if (strcmp(e->name, "dir") == 0 && strcasecmp(parent_name, "VBA") == 0) {
		struct vba_ctx v = { c, parent_child };

		read_stream(c, e, &d, &len, &cut);
		gvf_vba_project(w, it, d, len, vba_stream, &v);
		gv_free(d);
		return;
	}
	if (strcmp(e->name, "EncryptedPackage") == 0) {
		gvf_finding(w, it->path, "office.encrypted", 40,
			    "password-protected Office document: its content "
			    "cannot be inspected");
		return;
	}
	if (!gvf_account(w, it->path, e->size < c->budget ?
			 (e->size < c->len ? e->size : c->len) : c->budget))
		return;
	read_stream(c, e, &d, &len, &cut);
	if (cut)
		gvf_limit(w, it->path, GVF_LIMIT_FILE_SIZE,
			  "OLE2 stream larger than the limit");
	if (strcmp(e->name, "\1Ole10Native") == 0)
		ole10native(w, it, d, len);
	else if (strcmp(e->name, "Package") == 0 ||
		 strcmp(e->name, "CONTENTS") == 0 || worth_unpacking(d, len))
		gvf_child(w, it, e->name[0] == '\1' ? e->name + 1 : e->name,
			  d, len, 0);
	else
		gvf_office_stream(w, it, e->name, d, len);
	gv_free(d);
}

struct frame {
	uint32_t i, parent_child;
	const char *parent;
	int depth;
};

/* Walks the directory tree from the root; storages recurse (bounded). */
static void walk_tree(struct gvf_walk *w, const struct gvf_item *it,
		      const struct cfb *c)
{
	struct frame stack[256];
	unsigned char *seen = gv_calloc(c->ndir ? c->ndir : 1, 1);
	size_t sp = 0;
	struct cfb_entry root;

	entry_at(c, 0, &root);
	if (root.child < c->ndir)
		stack[sp++] = (struct frame){ root.child, root.child, "Root", 0 };
	while (sp > 0 && !gvf_should_stop(w, it->path)) {
		struct frame top = stack[--sp];
		struct cfb_entry e;

		if (top.i >= c->ndir || seen[top.i])
			continue;
		seen[top.i] = 1;
		entry_at(c, top.i, &e);
		if (sp + 3 > GV_ARRAY_LEN(stack))
			break;
		if (e.left < c->ndir)
			stack[sp++] = (struct frame){ e.left, top.parent_child, top.parent, top.depth };
		if (e.right < c->ndir)
			stack[sp++] = (struct frame){ e.right, top.parent_child, top.parent, top.depth };
		if (e.type == 1 && e.child < c->ndir && top.depth < CFB_MAX_TREE_DEPTH)
			stack[sp++] = (struct frame){ e.child, e.child,
						     gv_pstrdup(w->pool, e.name),
						     top.depth + 1 };
		else if (e.type == 2)
			on_stream(w, it, c, &e, top.parent_child, top.parent);
	}
	gv_free(seen);
}

static int cfb_open(struct cfb *c, struct gvf_walk *w)
{
	const unsigned char *h = c->d;
	struct cfb_entry root;
	size_t dlen;

	if (c->len < 512 || gvf_le16(h + 0x1C) != 0xFFFE)
		return -1;
	c->shift = gvf_le16(h + 0x1E);
	c->mshift = gvf_le16(h + 0x20);
	if ((c->shift != 9 && c->shift != 12) || c->mshift != 6)
		return -1;
	c->ssz = (size_t)1 << c->shift;
	c->nsect = c->len > c->ssz ? (c->len - c->ssz) / c->ssz : 0;
	c->cutoff = gvf_le32(h + 0x38);
	c->budget = gvf_child_budget(w);
	if (load_fat(c) < 0)
		return -1;
	/* Directory: capped at CFB_MAX_DIR_ENTRIES entries. */
	if (read_chain(c, gvf_le32(h + 0x30), (size_t)CFB_MAX_DIR_ENTRIES * 128,
		       &c->dir, &dlen) < 0 || dlen < 128)
		return -1;
	c->ndir = dlen / 128;
	entry_at(c, 0, &root);
	if (root.type != 5)
		return -1;
	/* miniFAT and the mini stream (held by the root entry). */
	size_t mlen;
	unsigned char *mf;
	uint64_t nmini = (uint64_t)gvf_le32(h + 0x40) * c->ssz;

	if (nmini > 0 && read_chain(c, gvf_le32(h + 0x3C),
				    nmini > c->len ? c->len : (size_t)nmini,
				    &mf, &mlen) >= 0) {
		c->nminifat = mlen / 4;
		c->minifat = gv_malloc(gv_mul_size(c->nminifat ? c->nminifat : 1, 4));
		for (size_t i = 0; i < c->nminifat; i++)
			c->minifat[i] = gvf_le32(mf + 4 * i);
		gv_free(mf);
	}
	if (root.size > 0)
		(void)read_chain(c, root.start, root.size > c->len ? c->len :
				 (size_t)root.size, &c->ministream,
				 &c->ministream_len);
	return 1;
}

int gvf_ole2(struct gvf_walk *w, const struct gvf_item *it)
{
	struct cfb c = { .d = it->data, .len = it->len };
	int ret = 1;

	if (cfb_open(&c, w) < 0) {
		gvf_finding(w, it->path, "office.ole2_malformed", 20,
			    "OLE2 header or directory is malformed");
		ret = 0;
	} else {
		walk_tree(w, it, &c);
	}
	gv_free(c.fat);
	gv_free(c.minifat);
	gv_free(c.ministream);
	gv_free(c.dir);
	return ret;
}
