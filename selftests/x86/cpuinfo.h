/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /proc/cpuinfo lookups shared by the selftests that compare what the
 * kernel reports there with other sources.
 */
#ifndef CPUINFO_H
#define CPUINFO_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../kselftest.h"

/* has_word: WORD appears in the space-separated LIST */
static bool has_word(const char *list, const char *word)
{
	size_t len = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		bool starts = p == list || p[-1] == ' ' || p[-1] == '\t';
		bool ends = p[len] == '\0' || p[len] == ' ' || p[len] == '\n' ||
			    p[len] == '=';

		if (starts && ends)
			return true;
		p += len;
	}
	return false;
}

/*
 * cpuinfo_has: whether the /proc/cpuinfo lines named KEY (one per CPU)
 * list WORD; -1 when there is no such line or the CPUs disagree.
 */
static int cpuinfo_has(const char *key, const char *word)
{
	char line[4096];
	int found = -1;
	FILE *f;

	f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		int has;

		if (strncmp(line, key, strlen(key)) || !colon)
			continue;
		if (line[strlen(key)] != ' ' && line[strlen(key)] != '\t')
			continue;
		has = has_word(colon + 1, word);
		if (found >= 0 && found != has) {
			ksft_print_msg("CPUs disagree on '%s' in %s\n", word, key);
			found = -1;
			break;
		}
		found = has;
	}
	fclose(f);
	return found;
}

#endif /* CPUINFO_H */
