package dev.tessera.console.catalog;

/**
 * The project a namespace belongs to, and its department.
 *
 * @param project the project's name
 * @param department its department's name, or null
 */
public record ProjectOf(String project, String department) {}
