"""The dispenser's ticket printer: ESC/POS through python-escpos, and a PNG preview printer."""
