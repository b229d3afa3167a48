package dev.tessera.agent.gpu.nvml;

import com.sun.jna.Pointer;

/**
 * One {@code nvmlEventData_t}.
 *
 * @param device the {@code nvmlDevice_t} it is about
 * @param type the event type bit ({@link NvmlStructs#EVENT_TYPE_XID})
 * @param data for an XID event, the XID
 */
record NvmlEvent(Pointer device, long type, long data) {}
