/* libFuzzer target: the configuration parser on arbitrary text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct vmport_config cfg;
	char err[256];
	if (vmport_config_parse_string(&cfg, text, "fuzz", err, sizeof(err)) == 0) {
		char name[16];
		vmport_config_device_name(&cfg, cfg.ports, name);
		if (strlen(name) > 15)
			abort();
	} else if (!err[0]) {
		abort(); /* every failure must explain itself */
	}
	free(text);
	return 0;
}
