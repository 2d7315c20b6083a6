/*
 * vba.c — VBA projects: MS-OVBA decompression, the "dir" stream (module
 * names, stream names, source offsets) and a look at the macro source for
 * auto-execute entry points and calls that fetch or run code.
 *
 * Facts from [MS-OVBA] 2.3.4.2 (dir stream records) and 2.4.1
 * (CompressedContainer: signature 0x01, chunks with a 12-bit size, a
 * 3-bit signature 0b011 and a compressed flag; copy tokens whose offset/length
 * split depends on the position in the 4096-byte decompressed chunk).
 */
#include <string.h>
#include <strings.h>

#include "files/files-private.h"

#define OVBA_CHUNK 4096
#define VBA_MAX_MODULES 256
/* Real macro modules are kilobytes; 2 MiB keeps the keyword scan cheap. */
#define VBA_MAX_SOURCE ((size_t)2 * 1024 * 1024)

int gvf_ovba_decompress(const unsigned char *data, size_t len,
			struct gv_buf *out)
{
	size_t pos = 1;

	if (len < 1 || data[0] != 0x01)
		return -1;
	while (pos + 2 <= len) {
		uint16_t hdr = gvf_le16(data + pos);
		size_t csize = (size_t)(hdr & 0x0FFF) + 3;
		size_t cend = pos + csize > len ? len : pos + csize;
		size_t dstart = out->len;

		if (((hdr >> 12) & 7) != 3)
			return -1;
		pos += 2;
		if (!(hdr & 0x8000)) {
			/* Raw chunk: 4096 bytes as they are. */
			size_t n = len - pos < OVBA_CHUNK ? len - pos : OVBA_CHUNK;

			if (gv_buf_append(out, data + pos, n) < 0)
				return 0;
			pos += n;
			continue;
		}
		while (pos < cend) {
			unsigned char flags = data[pos++];

			for (int bit = 0; bit < 8 && pos < cend; bit++) {
				if (!(flags & (1u << bit))) {
					if (gv_buf_putc(out, data[pos++]) < 0)
						return 0;
					continue;
				}
				if (pos + 2 > cend)
					return -1;
				uint16_t tok = gvf_le16(data + pos);
				size_t diff = out->len - dstart;
				unsigned bits = 4;

				pos += 2;
				while (((size_t)1 << bits) < diff)
					bits++;
				if (bits > 12)
					return -1;
				size_t lmask = 0xFFFFu >> bits;
				size_t length = (tok & lmask) + 3;
				size_t offset = ((tok & ~lmask & 0xFFFF) >> (16 - bits)) + 1;

				if (offset > diff)
					return -1;
				for (size_t k = 0; k < length; k++)
					if (gv_buf_putc(out, out->data[out->len - offset]) < 0)
						return 0;
			}
		}
		pos = cend;
	}
	return 1;
}

struct module {
	char *name;
	char *stream;
	uint32_t offset;
};

/* Walks the decompressed dir stream. Returns the number of modules. */
static size_t parse_dir(struct gvf_walk *w, const unsigned char *d, size_t len,
			struct module *mods, size_t max)
{
	size_t pos = 0, n = 0;
	struct module cur = { 0 };

	while (pos + 6 <= len && n < max) {
		uint16_t id = gvf_le16(d + pos);
		uint32_t size = gvf_le32(d + pos + 2);

		pos += 6;
		/* PROJECTVERSION declares 4 but carries 6 bytes. */
		if (id == 0x0009)
			size = 6;
		if (size > len - pos)
			break;
		switch (id) {
		case 0x0019:	/* MODULENAME */
			cur.name = gv_pstrndup(w->pool, (const char *)d + pos, size);
			break;
		case 0x001A:	/* MODULESTREAMNAME (MBCS) */
			cur.stream = gv_pstrndup(w->pool, (const char *)d + pos, size);
			break;
		case 0x0031:	/* MODULEOFFSET */
			if (size >= 4)
				cur.offset = gvf_le32(d + pos);
			break;
		case 0x002B:	/* end of a MODULE record */
			if (cur.stream != NULL || cur.name != NULL)
				mods[n++] = cur;
			cur = (struct module){ 0 };
			break;
		}
		pos += size;
	}
	return n;
}

void gvf_vba_project(struct gvf_walk *w, const struct gvf_item *it,
		     const unsigned char *dir, size_t dir_len,
		     int (*stream)(void *ctx, const char *name,
				   const unsigned char **data_r, size_t *len_r),
		     void *ctx)
{
	struct module mods[VBA_MAX_MODULES];
	struct gv_buf buf;
	size_t n;

	gvf_finding(w, it->path, "office.vba.project", 30,
		    "document carries a VBA macro project");
	gv_buf_init(&buf, 4 * 1024 * 1024);
	if (gvf_ovba_decompress(dir, dir_len, &buf) < 0 && buf.len == 0) {
		gvf_finding(w, it->path, "office.vba.malformed", 20,
			    "VBA dir stream does not decompress");
		gv_buf_free(&buf);
		return;
	}
	n = parse_dir(w, buf.data, buf.len, mods, VBA_MAX_MODULES);
	gv_buf_free(&buf);
	for (size_t i = 0; i < n && !gvf_should_stop(w, it->path); i++) {
		const unsigned char *sd;
		size_t slen;
		const char *sname = mods[i].stream ? mods[i].stream : mods[i].name;

		if (stream(ctx, sname, &sd, &slen) <= 0)
			continue;
		if (mods[i].offset < slen) {
			size_t budget = gvf_child_budget(w);
			const char *name = gv_psprintf(w->pool, "%s.vba", sname);

			gv_buf_init(&buf, budget < VBA_MAX_SOURCE ? budget : VBA_MAX_SOURCE);
			(void)gvf_ovba_decompress(sd + mods[i].offset,
						  slen - mods[i].offset, &buf);
			if (buf.len > 0 && gvf_account(w, it->path, buf.len)) {
				gvf_vba_source(w, gv_psprintf(w->pool, "%s/%s",
							      it->path, name),
					       buf.data, buf.len);
				gvf_child(w, it, name, buf.data, buf.len, 0);
			}
			gv_buf_free(&buf);
		}
		gv_free((void *)sd);
	}
}

static bool is_ident(unsigned char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static bool word_at(const unsigned char *s, size_t len, size_t i, size_t n)
{
	return (i == 0 || !is_ident(s[i - 1])) &&
	       (i + n >= len || !is_ident(s[i + n]));
}

/* Counts whole-word, case-insensitive occurrences of w in s (capped). */
static size_t count_word(const unsigned char *s, size_t len, const char *word,
			 size_t cap)
{
	size_t n = 0, wl = strlen(word);

	unsigned char first = (unsigned char)(word[0] | 0x20);

	for (size_t i = 0; i + wl <= len && n < cap; i++)
		if ((s[i] | 0x20) == first &&
		    strncasecmp((const char *)s + i, word, wl) == 0 &&
		    word_at(s, len, i, wl))
			n++;
	return n;
}

void gvf_vba_source(struct gvf_walk *w, const char *path,
		    const unsigned char *src, size_t len)
{
	static const char *const autoexec[] = {
		"AutoOpen", "Auto_Open", "AutoExec", "AutoClose", "Auto_Close",
		"AutoNew", "AutoExit", "Document_Open", "Document_Close",
		"Document_New", "DocumentOpen", "Workbook_Open",
		"Workbook_Activate", "Workbook_BeforeClose", "Presentation_Open",
		"Document_ContentControlOnEnter", "InkPicture1_Painted",
		"Frame1_Layout", "MultiPage1_Layout", NULL,
	};
	static const char *const risky[] = {
		"Shell", "ShellExecute", "ShellExecuteA", "CreateObject",
		"GetObject", "WScript", "Wscript.Shell", "URLDownloadToFile",
		"URLDownloadToFileA", "PowerShell", "MSXML2", "XMLHTTP",
		"ADODB", "SaveToFile", "Run", "CallByName", "MacScript",
		"Environ", "Kill", "CreateTextFile", "VirtualAlloc",
		"RtlMoveMemory", "CreateThread", "Lib", NULL,
	};
	char found[256] = "";
	const char *entry = NULL;
	size_t nchr;

	for (size_t i = 0; autoexec[i] != NULL && entry == NULL; i++)
		if (count_word(src, len, autoexec[i], 1) > 0) {
			entry = autoexec[i];
			gvf_findingf(w, path, "office.vba.autoexec", 50,
				     "macro runs by itself on open/close (%s)",
				     entry);
		}
	for (size_t i = 0; risky[i] != NULL; i++)
		if (count_word(src, len, risky[i], 1) > 0 &&
		    strlen(found) + strlen(risky[i]) + 2 < sizeof(found)) {
			if (found[0] != '\0')
				strcat(found, ",");
			strcat(found, risky[i]);
		}
	if (found[0] != '\0')
		gvf_findingf(w, path, "office.vba.suspicious_call", 40,
			     "macro calls %s", found);
	if (entry != NULL && found[0] != '\0')
		gvf_findingf(w, path, "office.vba.autoexec_suspicious", 80,
			     "macro that runs on open (%s) calls %s", entry,
			     found);
	/* Strings built one character at a time hide URLs and commands. */
	nchr = count_word(src, len, "Chr", 1000) + count_word(src, len, "ChrW", 1000) +
	       count_word(src, len, "ChrB", 1000);
	if (nchr >= 20)
		gvf_findingf(w, path, "office.vba.obfuscation", 40,
			     "%zu Chr() calls build strings character by character",
			     nchr);
}
