"""Output files that are whole or say why not: path checks made before any work (`paths`),
descriptors written whole or cut back to their last complete line (`sink`), and files
renamed into place only once complete and on the disk (`atomic`). Plain Python, below every
other engine layer but `errors`: config saves, calibration files and outputs all use it."""
