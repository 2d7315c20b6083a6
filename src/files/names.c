/*
 * names.c — the attachment's declared name and type against its true type.
 *
 * Flags names built to mislead (double extensions, bidirectional overrides,
 * invisible characters, long padding before the real extension), file types
 * that run code when opened (executables, scripts, shortcuts, installers),
 * containers used to slip past gateways (disk images, OneNote), and content
 * whose true type contradicts its declared name or MIME type.
 */
#include <string.h>
#include <strings.h>

#include "files/files-private.h"

static const char *const exec_exts[] = {
	"exe", "scr", "com", "pif", "cpl", "dll", "sys", "msi", "msp", "msc",
	"lnk", "jar", "application", "gadget", "appx", "msix", "appref-ms",
	"reg", "inf", "scf", "xll", "elf", "run", "sis", "sisx", "apk",
	"deb", "rpm", NULL,
};
static const char *const script_exts[] = {
	"js", "jse", "vbs", "vbe", "wsf", "wsh", "wsc", "hta", "ps1", "psm1",
	"bat", "cmd", "sct", "vb", "mjs", "url", "settingcontent-ms",
	"chm", "svg", "xsl", "library-ms", "search-ms",
	NULL,
};
static const char *const image_exts[] = {
	"iso", "img", "vhd", "vhdx", "udf", "dmg", NULL,
};
/* Extensions people trust; a dangerous one after them is a decoy. */
static const char *const decoy_exts[] = {
	"pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "rtf", "txt",
	"jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "zip", "rar", "7z",
	"htm", "html", "mp3", "mp4", "avi", "wav", "csv", "odt", "eml", "msg",
	"xml", "invoice", "scan", NULL,
};

static const char *last_ext(const char *name, size_t len)
{
	for (size_t i = len; i > 0; i--) {
		if (name[i - 1] == '.')
			return name + i;
		if (name[i - 1] == '/' || name[i - 1] == '\\')
			break;
	}
	return NULL;
}

static bool ext_in(const char *ext, size_t len, const char *const *list)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == len && strncasecmp(ext, list[i], len) == 0)
			return true;
	return false;
}

bool gvf_name_has_ext(const char *name, const char *const *exts)
{
	const char *e = name != NULL ? last_ext(name, strlen(name)) : NULL;

	return e != NULL && ext_in(e, strlen(e), exts);
}

/* Unicode format characters that reorder or hide parts of a name (UTF-8):
 * bidi embeddings/overrides U+202A..U+202E, isolates U+2066..U+2069, zero
 * width U+200B..U+200F, U+FEFF; and the Hangul filler U+3164 / U+115F. */
static const char *unicode_trick(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (p[0] == 0xE2 && p[1] == 0x80 && p[2] != 0 &&
		    ((p[2] >= 0xAA && p[2] <= 0xAE) || (p[2] >= 0x8B && p[2] <= 0x8F)))
			return p[2] == 0xAE ? "right-to-left override (U+202E)" :
			       p[2] >= 0xAA ? "bidirectional embedding/override" :
					      "zero-width character";
		if (p[0] == 0xE2 && p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9)
			return "bidirectional isolate";
		if (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
			return "zero-width no-break space";
		if (p[0] == 0xE3 && p[1] == 0x85 && p[2] == 0xA4)
			return "Hangul filler";
	}
	return NULL;
}

static bool type_executable(const char *t)
{
	static const char *const types[] = {
		"application/vnd.microsoft.portable-executable",
		"application/x-dosexec", "application/x-msdownload",
		"application/x-executable", "application/x-sharedlib",
		"application/x-pie-executable", "application/x-mach-binary",
		"application/x-elf", "application/x-ms-shortcut",
		"application/x-msi", "application/x-ms-installer",
		"application/java-archive", "application/x-java-applet", NULL,
	};

	for (size_t i = 0; types[i] != NULL; i++)
		if (strcmp(t, types[i]) == 0)
			return true;
	return false;
}

/* Scripts Windows runs on a double click. */
static bool type_script(const char *t)
{
	return strcmp(t, "text/x-msdos-batch") == 0 ||
	       strcmp(t, "application/javascript") == 0 ||
	       strcmp(t, "text/javascript") == 0 ||
	       strcmp(t, "application/hta") == 0 ||
	       strcmp(t, "application/x-mswinurl") == 0;
}

/* Scripts that need an interpreter the user starts (mailing lists of
 * developers send these every day): worth a note, not a quarantine. */
static bool type_script_other(const char *name, const char *t)
{
	return strcmp(t, "text/x-shellscript") == 0 ||
	       strcmp(t, "application/x-shellscript") == 0 ||
	       strcmp(t, "text/x-perl") == 0 || strcmp(t, "text/x-python") == 0 ||
	       strcmp(t, "text/x-ruby") == 0 || strcmp(t, "text/x-php") == 0 ||
	       gvf_name_has_ext(name, (const char *const[]){
		       "sh", "py", "pl", "rb", "php", NULL });
}

static bool is_onenote(const unsigned char *d, size_t len)
{
	/* OneNote section file header GUID {7B5C52E4-D88C-4DA7-AEB1-5378D02996D3}. */
	static const unsigned char guid[16] = {
		0xE4, 0x52, 0x5C, 0x7B, 0x8C, 0xD8, 0xA7, 0x4D,
		0xAE, 0xB1, 0x53, 0x78, 0xD0, 0x29, 0x96, 0xD3,
	};

	return len >= 16 && memcmp(d, guid, 16) == 0;
}

static void check_double_ext(struct gvf_walk *w, const struct gvf_item *it,
			     const char *name)
{
	size_t len = strlen(name);
	const char *e1 = last_ext(name, len), *e2;
	size_t pad = 0;

	if (e1 == NULL || e1 - 1 == name)
		return;
	if (!ext_in(e1, strlen(e1), exec_exts) && !ext_in(e1, strlen(e1), script_exts))
		return;
	/* "invoice.pdf      .exe": blanks before the real extension push it
	 * out of view in mail clients. */
	for (const char *p = e1 - 2; p >= name && (*p == ' ' || *p == '_' ||
						   *p == '\t'); p--)
		pad++;
	if (pad >= 5)
		gvf_findingf(w, it->path, "name.padding", 70,
			     "%zu blanks before the extension of '%s'", pad, name);
	e2 = last_ext(name, (size_t)(e1 - 1 - name));
	if (e2 != NULL) {
		size_t n2 = (size_t)(e1 - 1 - e2);

		while (n2 > 0 && (e2[n2 - 1] == ' ' || e2[n2 - 1] == '_'))
			n2--;
		if (ext_in(e2, n2, decoy_exts))
			gvf_findingf(w, it->path, "name.double_extension", 80,
				     "'%s' hides .%s behind .%.*s", name, e1,
				     (int)n2, e2);
	}
}

static bool declared_harmless(const char *name, const char *dtype)
{
	if (name != NULL && gvf_name_has_ext(name, decoy_exts))
		return true;
	return dtype != NULL &&
	       (strncasecmp(dtype, "image/", 6) == 0 ||
		strncasecmp(dtype, "text/", 5) == 0 ||
		strncasecmp(dtype, "audio/", 6) == 0 ||
		strncasecmp(dtype, "video/", 6) == 0 ||
		strcasecmp(dtype, "application/pdf") == 0 ||
		strcasecmp(dtype, "application/msword") == 0);
}

/* The content type a trusted extension promises (prefix match). */
static const struct {
	const char *ext;
	const char *types[3];
} promises[] = {
	{ "jpg", { "image/", NULL } }, { "jpeg", { "image/", NULL } },
	{ "png", { "image/", NULL } }, { "gif", { "image/", NULL } },
	{ "bmp", { "image/", NULL } }, { "pdf", { "application/pdf", NULL } },
	{ "txt", { "text/", "application/octet-stream", NULL } },
	{ "csv", { "text/", "application/csv", NULL } },
	{ "mp3", { "audio/", NULL } }, { "wav", { "audio/", NULL } },
};

/* A trusted extension over other content: renamed documents and archives
 * (an .xlsm sent as .jpg) slip past extension filters. */
static void check_mismatch(struct gvf_walk *w, const struct gvf_item *it)
{
	const char *e = last_ext(it->name, strlen(it->name));

	/* Unrecognised or plain text content under an image name is a broken
	 * file far more often than an attack: only a recognised other format
	 * (an archive, a document, a program) is a mismatch. */
	if (e == NULL || it->len < 16 || strncmp(it->true_type, "application/", 12) != 0 ||
	    strcmp(it->true_type, "application/octet-stream") == 0)
		return;
	for (size_t i = 0; i < GV_ARRAY_LEN(promises); i++) {
		bool ok = false;

		if (strcasecmp(e, promises[i].ext) != 0)
			continue;
		for (size_t k = 0; k < 3 && promises[i].types[k] != NULL; k++)
			ok |= strncmp(it->true_type, promises[i].types[k],
				      strlen(promises[i].types[k])) == 0;
		if (!ok)
			gvf_findingf(w, it->path, "type.mismatch", 30,
				     "'%s' is %s", it->name, it->true_type);
		return;
	}
}

void gvf_check_name(struct gvf_walk *w, const struct gvf_item *it)
{
	const char *name = it->name, *trick;
	const char *t = it->true_type;
	bool exec_content = type_executable(t) ||
			    (it->len >= 2 && memcmp(it->data, "MZ", 2) == 0 &&
			     strcmp(t, "application/octet-stream") == 0) ||
			    (it->len >= 4 && memcmp(it->data, "\x7f" "ELF", 4) == 0);

	if ((trick = unicode_trick(name)) != NULL)
		gvf_findingf(w, it->path, "name.unicode_trick", 80,
			     "%s in file name", trick);
	check_double_ext(w, it, name);

	if (exec_content)
		gvf_findingf(w, it->path, "type.executable", 60,
			     "executable content (%s)", t);
	else if (gvf_name_has_ext(name, exec_exts))
		gvf_findingf(w, it->path, "name.executable_ext", 60,
			     "executable file name '%s'", name);
	if (gvf_name_has_ext(name, script_exts) || type_script(t))
		gvf_findingf(w, it->path, "type.script", 60,
			     "script file ('%s', %s)", name, t);
	else if (type_script_other(name, t))
		gvf_findingf(w, it->path, "type.script_other", 20,
			     "script for an interpreter ('%s', %s)", name, t);
	if (gvf_name_has_ext(name, image_exts) ||
	    strcmp(t, "application/x-iso9660-image") == 0 ||
	    strcmp(t, "application/x-virtualbox-vhd") == 0)
		gvf_findingf(w, it->path, "type.disk_image", 40,
			     "disk image ('%s', %s)", name, t);
	if (is_onenote(it->data, it->len) || gvf_name_has_ext(name,
			(const char *const[]){ "one", "onepkg", NULL }))
		gvf_finding(w, it->path, "type.onenote", 50,
			    "OneNote document (embeds runnable files)");
	/* Content that runs, dressed as something that does not. */
	if ((exec_content || type_script(t)) &&
	    declared_harmless(name, it->declared_type))
		gvf_findingf(w, it->path, "type.disguised_executable", 80,
			     "'%s' declared as %s is %s", name,
			     it->declared_type ? it->declared_type : "-", t);
	else
		check_mismatch(w, it);
}
