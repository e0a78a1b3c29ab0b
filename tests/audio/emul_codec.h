/* A sound card in a shared object, for testing hal/audio's alsa backend without one: an ALSA
 * external PCM plug-in (ioplug) and control plug-in (ctl_ext) that alsa-lib loads through a
 * configuration such as
 *
 *   pcm_type.vmport_emul { lib "/path/libvmport_alsa_emul.so" }
 *   ctl_type.vmport_emul { lib "/path/libvmport_alsa_emul.so" }
 *   pcm.codec { type vmport_emul }          # optional: rate 48000 (the only rate it then offers)
 *   ctl.codec { type vmport_emul }
 *
 * Unlike ALSA's null and file plug-ins it runs on a clock: from start, the PCM consumes (playback)
 * or produces (capture) frames at the configured rate of CLOCK_MONOTONIC, so it underruns when fed
 * too late and overruns when read too late, exactly as a codec does, and reports it the ALSA way
 * (the pointer callback returns -EPIPE, the stream goes to XRUN). Capture produces a ramp (frame k
 * has the value k mod 32768) so a test can see lost or repeated frames. Playback keeps what it
 * was given (the first EMUL_TAP_FRAMES after open) for a test to compare.
 *
 * The control plug-in offers a codec's usual mixer: "Master Playback Volume" (0..127), "Master
 * Playback Switch", "Capture Volume" (0..31), "Capture Switch", "Capture Source" (Mic, Line),
 * "Mic Bias Voltage" (1.8V, 2.5V, 3.3V). Its registers are process-wide, so a second handle (or
 * the test, through the hooks below) sees what the first one wrote, and, as with the kernel's
 * control devices, every subscribed handle gets a change event for each value another wrote.
 *
 * Test hooks (look them up with dlsym on the same library file): */
#ifndef VMPORT_TESTS_EMUL_CODEC_H
#define VMPORT_TESTS_EMUL_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define EMUL_TAP_FRAMES 16000u

/* Raw value of a control (volume steps, 0/1, item index); -1 if there is no such control. */
long vmport_emul_control(const char *name);
/* Put every control back to its power-on value. */
void vmport_emul_reset_controls(void);
/* Suspend the open PCM of a stream (0 playback, 1 capture), as a system suspend does.
 * 0, or -1 if none is open. */
int vmport_emul_suspend(int stream);
/* Copy up to max frames the playback PCM received since it was opened; returns how many. */
size_t vmport_emul_tap(int16_t *out, size_t max);
/* Xruns the PCMs of a stream have reported. */
unsigned vmport_emul_xruns(int stream);

#endif
