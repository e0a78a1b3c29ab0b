/* The device directory: provisioned devices found by name (Register) and by DN (lamps, direct
 * calls) in O(1) through two open-addressing hash tables sized at start; and the lamp table,
 * one entry per extension an MWI number was dialled for. */
#include "labcm/labcm_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

static size_t table_size(size_t n)
{
	size_t size = 16;
	while (size < 2 * n)
		size *= 2;
	return size;
}

/* Slot of `key` in a table of device/lamp indexes + 1: where it is, or the empty slot it goes. */
typedef const char *(*key_of_fn)(struct labcm *lab, uint32_t index);

static size_t probe(struct labcm *lab, const uint32_t *slots, size_t mask, key_of_fn key_of, const char *key)
{
	size_t i = fnv1a(key) & mask;
	while (slots[i] && strcmp(key_of(lab, slots[i] - 1), key) != 0)
		i = (i + 1) & mask;
	return i;
}

static const char *device_name_of(struct labcm *lab, uint32_t i)
{
	return lab->devices[i].def.name;
}

static const char *device_dn_of(struct labcm *lab, uint32_t i)
{
	return lab->devices[i].def.dn;
}

static const char *lamp_ext_of(struct labcm *lab, uint32_t i)
{
	return lab->lamps[i].ext;
}

int labcm_dir_init(struct labcm *lab, char *err, size_t cap)
{
	size_t n = lab->cfg.n_devices;
	lab->n_devices = n;
	lab->devices = calloc(n, sizeof(*lab->devices));
	size_t size = table_size(n);
	lab->slot_mask = size - 1;
	lab->name_slots = calloc(size, sizeof(uint32_t));
	lab->dn_slots = calloc(size, sizeof(uint32_t));
	size_t lsize = table_size(LABCM_MAX_LAMPS);
	lab->lamp_mask = lsize - 1;
	lab->lamps = calloc(LABCM_MAX_LAMPS, sizeof(*lab->lamps));
	lab->lamp_slots = calloc(lsize, sizeof(uint32_t));
	if (!lab->devices || !lab->name_slots || !lab->dn_slots || !lab->lamps || !lab->lamp_slots) {
		snprintf(err, cap, "out of memory for %zu devices", n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct labcm_device *d = &lab->devices[i];
		d->def = lab->cfg.devices[i];
		/* The configuration checked uniqueness, so each probe ends on an empty slot. */
		lab->name_slots[probe(lab, lab->name_slots, lab->slot_mask, device_name_of, d->def.name)] =
		    (uint32_t)i + 1;
		lab->dn_slots[probe(lab, lab->dn_slots, lab->slot_mask, device_dn_of, d->def.dn)] =
		    (uint32_t)i + 1;
	}
	return 0;
}

void labcm_dir_free(struct labcm *lab)
{
	free(lab->devices);
	free(lab->name_slots);
	free(lab->dn_slots);
	free(lab->lamps);
	free(lab->lamp_slots);
	lab->devices = NULL;
	lab->name_slots = lab->dn_slots = lab->lamp_slots = NULL;
	lab->lamps = NULL;
}

struct labcm_device *labcm_dir_by_name(struct labcm *lab, const char *name)
{
	uint32_t s = lab->name_slots[probe(lab, lab->name_slots, lab->slot_mask, device_name_of, name)];
	return s ? &lab->devices[s - 1] : NULL;
}

struct labcm_device *labcm_dir_by_dn(struct labcm *lab, const char *dn)
{
	uint32_t s = lab->dn_slots[probe(lab, lab->dn_slots, lab->slot_mask, device_dn_of, dn)];
	return s ? &lab->devices[s - 1] : NULL;
}

/* cm_device's provisioning callback. */
enum cm_lookup_result labcm_dir_lookup(void *ctx, const char *name, struct cm_provision *out)
{
	struct labcm *lab = ctx;
	struct labcm_device *d = labcm_dir_by_name(lab, name);
	if (!d)
		return CM_LOOKUP_UNKNOWN;
	memset(out, 0, sizeof(*out));
	snprintf(out->dn, sizeof(out->dn), "%s", d->def.dn);
	snprintf(out->display_name, sizeof(out->display_name), "Voicemail port %s", d->def.name);
	out->security = d->def.security;
	return d->conn ? CM_LOOKUP_DUPLICATE : CM_LOOKUP_OK;
}

struct labcm_lamp *labcm_lamp_set(struct labcm *lab, const char *ext, bool on, uint64_t unix_ms)
{
	size_t i = probe(lab, lab->lamp_slots, lab->lamp_mask, lamp_ext_of, ext);
	struct labcm_lamp *l;
	if (lab->lamp_slots[i]) {
		l = &lab->lamps[lab->lamp_slots[i] - 1];
	} else {
		if (lab->n_lamps == LABCM_MAX_LAMPS)
			return NULL;
		l = &lab->lamps[lab->n_lamps];
		snprintf(l->ext, sizeof(l->ext), "%s", ext);
		lab->lamp_slots[i] = (uint32_t)++lab->n_lamps;
	}
	l->on = on;
	l->changes++;
	l->changed_unix_ms = unix_ms;
	return l;
}

const struct labcm_lamp *labcm_lamp_get(struct labcm *lab, const char *ext)
{
	uint32_t s = lab->lamp_slots[probe(lab, lab->lamp_slots, lab->lamp_mask, lamp_ext_of, ext)];
	return s ? &lab->lamps[s - 1] : NULL;
}
