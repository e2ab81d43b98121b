// Bluetooth FTMS Treadmill Data (0x2ACD) parser: the browser port of retrowalk/io/ftms.py.
// Same field table (flag bit → fields with format, resolution, "data not available" value);
// tests/capture/test_ftms.py checks that both read the same bytes alike.

export const FITNESS_MACHINE_SERVICE = 0x1826;
export const TREADMILL_DATA = 0x2acd;
const MORE_DATA = 0x0001;

// [flag bit, [[field, format, scale, notAvailableRaw|null], ...]]; format T = uint24.
export const LAYOUT = [
  [0, [["instantaneous_speed_kmh", "H", 0.01, null]]],
  [1, [["average_speed_kmh", "H", 0.01, null]]],
  [2, [["total_distance_m", "T", 1, null]]],
  [3, [["inclination_pct", "h", 0.1, 0x7fff], ["ramp_angle_deg", "h", 0.1, 0x7fff]]],
  [4, [["positive_elevation_gain_m", "H", 0.1, null], ["negative_elevation_gain_m", "H", 0.1, null]]],
  [5, [["instantaneous_pace_s_per_km", "H", 1, null]]],
  [6, [["average_pace_s_per_km", "H", 1, null]]],
  [7, [["total_energy_kcal", "H", 1, 0xffff], ["energy_per_hour_kcal", "H", 1, 0xffff],
       ["energy_per_minute_kcal", "B", 1, 0xff]]],
  [8, [["heart_rate_bpm", "B", 1, null]]],
  [9, [["metabolic_equivalent", "B", 0.1, null]]],
  [10, [["elapsed_time_s", "H", 1, null]]],
  [11, [["remaining_time_s", "H", 1, null]]],
  [12, [["force_on_belt_n", "h", 1, 0x7fff], ["power_output_w", "h", 1, 0x7fff]]],
];
const SIZE = { B: 1, H: 2, h: 2, T: 3 };

function present(flags, bit) {
  return bit === 0 ? (flags & MORE_DATA) === 0 : ((flags >> bit) & 1) === 1;
}

function read(view, offset, fmt) {
  switch (fmt) {
    case "B": return view.getUint8(offset);
    case "H": return view.getUint16(offset, true);
    case "h": return view.getInt16(offset, true);
    default: return view.getUint8(offset) | (view.getUint8(offset + 1) << 8) | (view.getUint8(offset + 2) << 16);
  }
}

/** Decode one notification: {flags, moreData, values: {field: number}, notAvailable: [field]}. */
export function parseTreadmillData(view) {
  if (view.byteLength < 2) throw new Error(`ftms.flags: ${view.byteLength} byte(s); the flags field needs 2`);
  const flags = view.getUint16(0, true);
  let offset = 2;
  const values = {};
  const notAvailable = [];
  for (const [bit, group] of LAYOUT) {
    if (!present(flags, bit)) continue;
    for (const [name, fmt, scale, na] of group) {
      const size = SIZE[fmt];
      if (offset + size > view.byteLength) {
        throw new Error(`ftms.${name}: the value ends at byte ${view.byteLength}`);
      }
      const raw = read(view, offset, fmt);
      offset += size;
      if (na !== null && raw === na) notAvailable.push(name);
      else values[name] = Math.round(raw * scale * 1e6) / 1e6;
    }
  }
  if (offset !== view.byteLength) {
    throw new Error(`ftms: ${view.byteLength - offset} byte(s) after the last field the flags announce`);
  }
  return { flags, moreData: (flags & MORE_DATA) !== 0, values, notAvailable };
}

/** What a session log's dose fields take from the treadmill (null where it did not say). */
export function doseFields(values) {
  const pick = (k) => (k in values ? values[k] : null);
  const elapsed = pick("elapsed_time_s");
  return {
    speed_kmh: pick("average_speed_kmh") ?? pick("instantaneous_speed_kmh"),
    incline_pct: pick("inclination_pct"),
    minutes: elapsed === null ? null : Math.round((elapsed / 60) * 10) / 10,
    distance_m: pick("total_distance_m"),
  };
}
