package dev.tessera.extender.webhook;

/**
 * Hands back the extender's own String for a node name it knows, spelled by a parser's character
 * buffer. A filter call carries thousands of names the extender already holds; reusing its Strings
 * saves an allocation and a hash computation per name per call.
 */
@FunctionalInterface
public interface KnownNodeNames {
  KnownNodeNames NONE = (chars, offset, length) -> null;

  /** The known name spelled by {@code chars[offset, offset + length)}, or null. */
  String find(char[] chars, int offset, int length);
}
