"""The player's screens: lesson picker, main lesson screen, and modal dialogs."""
