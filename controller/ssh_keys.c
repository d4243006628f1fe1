/* Host keys and user keys: the fingerprint of a key as ssh-keygen shows it, the strict check of
 * a server's key against known_hosts (and recording it with --accept-new-host-keys), the host
 * key algorithms offered, and which private keys to authenticate with (asking for a passphrase
 * on the terminal when the named key is encrypted). */
#include "controller/ssh_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "controller/ssh_util.h"

/* "SHA256:base64-without-padding" of a key blob, as ssh-keygen -l shows it. */
static void fingerprint(const unsigned char *blob, size_t len, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	int n;

	if (!EVP_Digest(blob, len, md, &mdlen, EVP_sha256(), NULL)) {
		snprintf(out, outlen, "SHA256:?");
		return;
	}
	n = EVP_EncodeBlock(b64, md, (int)mdlen);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	snprintf(out, outlen, "SHA256:%.*s", n, (const char *)b64);
}

/* The fingerprint of a known_hosts entry's key (base64 of the blob). */
static void fingerprint_b64(const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);
	unsigned char *blob = malloc(klen + 4);
	int n;

	if (!blob) {
		snprintf(out, outlen, "SHA256:?");
		return;
	}
	n = EVP_DecodeBlock(blob, (const unsigned char *)key, (int)klen);
	if (n < 0) {
		snprintf(out, outlen, "SHA256:?");
		free(blob);
		return;
	}
	if (klen >= 1 && key[klen - 1] == '=')
		n--;
	if (klen >= 2 && key[klen - 2] == '=')
		n--;
	fingerprint(blob, (size_t)n, out, outlen);
	free(blob);
}

static int knownhost_keytype(int hostkey_type)
{
	switch (hostkey_type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		return LIBSSH2_KNOWNHOST_KEY_ED25519;
	default:
		return 0;
	}
}

static const char *hostkey_type_name(int t)
{
	switch (t) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		return "RSA";
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		return "DSA";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		return "ECDSA";
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		return "ED25519";
	default:
		return "unknown";
	}
}

/* Does this private key file need a passphrase? PEM keys say so in a header; OpenSSH-format
 * keys name their cipher ("none" when clear) right after the magic. */
static bool key_is_encrypted(const char *path)
{
	char *text = NULL, *b64 = NULL;
	size_t len = 0, n = 0;
	unsigned char *bin = NULL;
	bool enc = false;
	const char *begin, *end;
	int blen;

	if (ssh_util_read_file(path, 1 << 20, &text, &len, NULL, NULL) < 0)
		return false;
	if (strstr(text, "ENCRYPTED")) {
		enc = true;
		goto out;
	}
	begin = strstr(text, "-----BEGIN OPENSSH PRIVATE KEY-----");
	if (!begin)
		goto out;
	begin = strchr(begin, '\n');
	end = begin ? strstr(begin, "-----END") : NULL;
	if (!end)
		goto out;
	b64 = malloc((size_t)(end - begin) + 1);
	bin = malloc((size_t)(end - begin) + 4);
	if (!b64 || !bin)
		goto out;
	for (const char *q = begin; q < end; q++)
		if (*q != '\n' && *q != '\r' && *q != ' ')
			b64[n++] = *q;
	b64[n] = '\0';
	blen = EVP_DecodeBlock(bin, (unsigned char *)b64, (int)n);
	/* "openssh-key-v1\0", uint32 length, cipher name */
	if (blen > 19 && memcmp(bin, "openssh-key-v1", 15) == 0) {
		uint32_t cl = (uint32_t)bin[15] << 24 | (uint32_t)bin[16] << 16 |
			      (uint32_t)bin[17] << 8 | bin[18];
		if (cl <= (uint32_t)(blen - 19))
			enc = !(cl == 4 && memcmp(bin + 19, "none", 4) == 0);
	}
out:
	free(text);
	free(b64);
	free(bin);
	return enc;
}

/* Called once the handshake is done: 0 when the key is known (or recorded), else -1. */
int ssh_keys_check_host(struct ssh_host *h)
{
	struct ssh_fleet *f = h->f;
	size_t klen = 0;
	int ktype = 0;
	const char *key = libssh2_session_hostkey(h->sess, &klen, &ktype);
	struct libssh2_knownhost *found = NULL;
	char fp[128], oldfp[128];
	int mask, rc;
	FILE *kf;
	char line[16384];
	char kname[300];
	int bad_lines = 0;

	if (!key) {
		return ssh_host_error(h, "the server sent no host key");
	}
	fingerprint((const unsigned char *)key, klen, fp, sizeof fp);
	/* The name known_hosts uses: "host" on port 22, "[host]:port" elsewhere. */
	if (h->port == 22)
		snprintf(kname, sizeof kname, "%s", h->host);
	else
		snprintf(kname, sizeof kname, "[%s]:%d", h->host, h->port);
	h->kh = libssh2_knownhost_init(h->sess);
	if (!h->kh) {
		return ssh_host_error(h, "out of memory");
	}
	/* Line by line, so one line libssh2 cannot parse (a newer key type, a @cert-authority
	 * marker) does not hide every line after it. */
	kf = fopen(f->known_hosts, "r");
	if (kf) {
		while (fgets(line, sizeof line, kf)) {
			const char *p = line;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '#' || *p == '\n' || *p == '\0')
				continue;
			if (libssh2_knownhost_readline(h->kh, line, strlen(line),
						       LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0)
				bad_lines++;
		}
		fclose(kf);
	}
	mask =
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | knownhost_keytype(ktype);
	/* By the exact name, port -1: given a port, libssh2 also falls back to the plain "host"
	 * entries, which OpenSSH keeps for port 22 only; a port-22 key of the same machine is no
	 * mismatch for another port (another sshd), it is unknown there. */
	rc = libssh2_knownhost_checkp(h->kh, kname, -1, key, klen, mask, &found);
	if (rc == LIBSSH2_KNOWNHOST_CHECK_MATCH)
		return 0;
	if (rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
		if (found && found->key)
			fingerprint_b64(found->key, oldfp, sizeof oldfp);
		else
			snprintf(oldfp, sizeof oldfp, "(unreadable)");
		return ssh_host_error(
		    h,
		    "HOST KEY MISMATCH for %s: it offered the %s key %s but %s records %s "
		    "for it. Someone may be intercepting the connection (a man-in-the-middle "
		    "attack), or the host was reinstalled. Refusing to connect; if the change "
		    "is expected, remove the old entry with: ssh-keygen -R '%s' -f %s",
		    kname, hostkey_type_name(ktype), fp, f->known_hosts, oldfp, kname,
		    f->known_hosts);
	}
	if (rc != LIBSSH2_KNOWNHOST_CHECK_NOTFOUND) {
		return ssh_host_error(h, "cannot check the host key against %s", f->known_hosts);
	}
	if (!f->opt.accept_new_host_keys) {
		return ssh_host_error(
		    h,
		    "unknown host key: %s offered the %s key %s, which is not in %s%s. "
		    "Verify it and add it (ssh-keyscan -p %d %s >> %s), or run with "
		    "--accept-new-host-keys to record it",
		    kname, hostkey_type_name(ktype), fp, f->known_hosts,
		    bad_lines ? " (some of its lines could not be read)" : "", h->port, h->host,
		    f->known_hosts);
	}
	{
		char *name = strdup(kname);
		struct libssh2_knownhost *entry = NULL;
		size_t outlen = 0;
		int fd;

		if (!name ||
		    libssh2_knownhost_addc(h->kh, name, NULL, key, klen, "barrage", 7, mask,
					   &entry) != 0 ||
		    libssh2_knownhost_writeline(h->kh, entry, line, sizeof line, &outlen,
						LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0) {
			free(name);
			return ssh_host_error(h, "cannot record the host key");
		}
		free(name);
		fd = open(f->known_hosts, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, line, outlen) != (ssize_t)outlen) {
			ssh_host_error(h, "cannot record the host key in %s: %s", f->known_hosts,
				       strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
		if (!f->opt.quiet)
			log_warn("%s: recorded new %s host key %s in %s", h->label,
				 hostkey_type_name(ktype), fp, f->known_hosts);
	}
	return 0;
}

/* OpenSSH's host key order, restricted to what this libssh2 supports: listing an unsupported
 * name makes libssh2 1.10 drop it with an overlapping memcpy. */
void ssh_keys_set_prefs(LIBSSH2_SESSION *s)
{
	const char **algs = NULL;
	int n = libssh2_session_supported_algs(s, LIBSSH2_METHOD_HOSTKEY, &algs);
	char want[] = SSH_HOSTKEY_PREFS;
	char *save = NULL;
	struct buf b;

	if (n <= 0)
		return;
	buf_init(&b, 4096);
	for (char *w = strtok_r(want, ",", &save); w; w = strtok_r(NULL, ",", &save))
		for (int i = 0; i < n; i++)
			if (strcmp(algs[i], w) == 0)
				buf_printf(&b, "%s%s", b.len ? "," : "", w);
	if (b.len)
		libssh2_session_method_pref(s, LIBSSH2_METHOD_HOSTKEY, b.data);
	libssh2_free(s, algs);
	buf_free(&b);
}

/* Asks on the terminal (not stdin: that may be a pipe) with echo off. Unlike getpass(), input
 * typed ahead of the prompt is kept. */
static char *ask_passphrase(const char *path, char **err)
{
	struct termios old, quiet;
	char line[1024];
	size_t n = 0;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	bool restore = false;
	char *out = NULL;

	if (fd < 0 || !isatty(fd)) {
		if (fd >= 0)
			close(fd);
		err_set(err,
			"%s: the key is encrypted and there is no terminal to ask for its "
			"passphrase; load it into ssh-agent (ssh-add) instead",
			path);
		return NULL;
	}
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		restore = tcsetattr(fd, TCSANOW, &quiet) == 0;
	}
	dprintf(fd, "Enter passphrase for key '%s': ", path);
	while (n + 1 < sizeof line) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n' || c == '\r')
			break;
		line[n++] = c;
	}
	line[n] = '\0';
	if (restore)
		tcsetattr(fd, TCSANOW, &old);
	dprintf(fd, "\n");
	close(fd);
	out = strdup(line);
	explicit_bzero(line, sizeof line);
	if (!out)
		err_set(err, "out of memory");
	return out;
}

int ssh_keys_load(struct ssh_fleet *f, const struct ssh_options *opt, char **err)
{
	const char *home = getenv("HOME");

	if (!home || !*home)
		home = "/root";
	f->known_hosts = opt->known_hosts ? strdup(opt->known_hosts)
					  : ssh_util_asprintf("%s/.ssh/known_hosts", home);
	if (opt->identity) {
		if (access(opt->identity, R_OK) != 0)
			return err_set(err, "%s: cannot read the key file: %s", opt->identity,
				       strerror(errno));
		f->identity = strdup(opt->identity);
		if (key_is_encrypted(opt->identity) &&
		    !(f->passphrase = ask_passphrase(opt->identity, err)))
			return -1;
		return 0;
	}
	{
		static const char *const names[] = {"id_ed25519", "id_ecdsa", "id_rsa"};
		for (size_t i = 0; i < 3; i++) {
			char *p = ssh_util_asprintf("%s/.ssh/%s", home, names[i]);
			/* Encrypted default keys are ssh-agent's business: prompting for keys the
			 * user did not name would be a surprise. */
			if (p && access(p, R_OK) == 0 && !key_is_encrypted(p))
				f->key_files[f->nkey_files++] = p;
			else
				free(p);
		}
	}
	return 0;
}
