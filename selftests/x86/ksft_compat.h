/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What these tests use from kselftest.h that older trees lack: 6.12's
 * kselftest.h has ksft_exit_fail_perror(), 6.1's does not.  The sources
 * do not include this file: the Makefile puts it in front of each of them
 * (-include) only when the tree's kselftest.h lacks the function.
 */
#ifndef KSFT_COMPAT_H
#define KSFT_COMPAT_H

#include <errno.h>
#include <string.h>

#include "../kselftest.h"

#define ksft_exit_fail_perror(msg) \
	ksft_exit_fail_msg("%s: %s\n", (msg), strerror(errno))

#endif /* KSFT_COMPAT_H */
