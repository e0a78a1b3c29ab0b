/* libFuzzer: the lab CallManager's device state machine (proto/sccp/cm_device.h) under arbitrary
 * event sequences; the interpreter and the contracts it checks are tests/labcm/cm_ops.h. */
#include <stddef.h>
#include <stdint.h>

#include "../labcm/cm_ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cm_ops_run(data, size);
	return 0;
}
