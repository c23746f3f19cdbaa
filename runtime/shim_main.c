// SPDX-License-Identifier: Apache-2.0
/* netd-shim: see runtime/shim.c */
#include "runtime/runtime.h"

int main(int argc, char **argv)
{
	return rt_shim_main(argc, argv);
}
