/*
 * lnk.c — Windows shortcuts (.lnk). A shortcut in a mail or inside an
 * archive or disk image usually starts a command interpreter with a
 * download-and-run command line. Reads the target path and the arguments
 * ([MS-SHLLINK] 2.1 ShellLinkHeader and LinkFlags, 2.2 LinkTargetIDList,
 * 2.3 LinkInfo with LocalBasePath, 2.4 StringData) with bounds checks,
 * flags interpreters and downloaders, and hands "target arguments" to
 * YARA as a child text item.
 */
#include <string.h>
#include <strings.h>

#include "files/files-private.h"

#define LNK_MAX_TEXT 8192

/* Appends a StringData entry (count of characters, then 1 or 2 bytes per
 * character) as ASCII to out. Returns the position after it or NULL. */
static const unsigned char *string_data(const unsigned char *p,
					const unsigned char *end, bool unicode,
					char *out, size_t outsz)
{
	size_t n, w = unicode ? 2 : 1, o = strlen(out);

	if (end - p < 2)
		return NULL;
	n = gvf_le16(p);
	p += 2;
	if (n > (size_t)(end - p) / w)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned c = unicode ? gvf_le16(p + 2 * i) : p[i];

		if (o + 2 < outsz)
			out[o++] = c >= 0x20 && c < 0x7F ? (char)c : '?';
	}
	out[o] = '\0';
	return p + n * w;
}

int gvf_lnk(struct gvf_walk *w, const struct gvf_item *it)
{
	static const char *const runners[] = {
		"powershell", "pwsh", "cmd.exe", "cmd /", "mshta", "wscript",
		"cscript", "rundll32", "regsvr32", "certutil", "bitsadmin",
		"curl", "msiexec", "forfiles", "conhost", "http://", "https://",
		"\\\\", NULL,
	};
	const unsigned char *p = it->data, *end = it->data + it->len;
	char target[LNK_MAX_TEXT] = "", args[LNK_MAX_TEXT] = "", skip[LNK_MAX_TEXT];
	uint32_t flags;
	bool unicode;

	if (it->len < 0x4C || gvf_le32(p) != 0x4C)
		return 0;
	flags = gvf_le32(p + 0x14);
	unicode = (flags & 0x80) != 0;
	p += 0x4C;
	if ((flags & 0x01) && end - p >= 2)	/* LinkTargetIDList */
		p += 2 + gvf_le16(p);
	if ((flags & 0x02) && p < end && end - p >= 28) {	/* LinkInfo */
		uint32_t size = gvf_le32(p), liflags = gvf_le32(p + 8);
		uint32_t base = gvf_le32(p + 16);

		if (size > (size_t)(end - p))
			size = (uint32_t)(end - p);
		if ((liflags & 1) && base < size) {
			const unsigned char *s = p + base;
			size_t n = strnlen((const char *)s, size - base);

			if (n >= sizeof(target))
				n = sizeof(target) - 1;
			memcpy(target, s, n);
			target[n] = '\0';
		}
		p += size;
	}
	/* StringData: name, relative path, working dir, arguments, icon. */
	for (unsigned bit = 0x04; bit <= 0x20 && p != NULL && p < end; bit <<= 1) {
		if (!(flags & bit))
			continue;
		if (bit == 0x08 && target[0] == '\0')
			p = string_data(p, end, unicode, target, sizeof(target));
		else if (bit == 0x20)
			p = string_data(p, end, unicode, args, sizeof(args));
		else {
			skip[0] = '\0';
			p = string_data(p, end, unicode, skip, sizeof(skip));
		}
	}
	if (target[0] == '\0' && args[0] == '\0')
		return 1;
	char *line = gv_psprintf(w->pool, "%s %s", target, args);

	for (size_t i = 0; runners[i] != NULL; i++)
		if (gv_memcasemem(line, strlen(line), runners[i], strlen(runners[i]))) {
			gvf_findingf(w, it->path, "lnk.command", 80,
				     "shortcut runs %.200s", line);
			break;
		}
	if (strlen(args) > 260)
		gvf_findingf(w, it->path, "lnk.long_arguments", 40,
			     "%zu characters of arguments (hidden from the "
			     "properties dialog)", strlen(args));
	gvf_child(w, it, "shortcut-command.txt", (const unsigned char *)line,
		  strlen(line), 0);
	return 1;
}
