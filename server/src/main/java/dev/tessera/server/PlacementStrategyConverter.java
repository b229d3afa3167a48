package dev.tessera.server;

import dev.tessera.extender.model.PlacementStrategy;
import picocli.CommandLine;

/** Reads {@code binpack} or {@code spread} for a command's option, refusing anything else with why. */
public final class PlacementStrategyConverter implements CommandLine.ITypeConverter<PlacementStrategy> {
  @Override
  public PlacementStrategy convert(String value) {
    try {
      return PlacementStrategy.parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
