# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration for kctx's Documentation/. Run it through
# qemu-scripts/htmldocs (`make htmldocs`), which finds the unpacked
# linux-source-6.12 tree and passes it in KCTX_KSRC: the kernel-doc
# extension (Documentation/sphinx/kerneldoc.py) and scripts/kernel-doc come
# from there, and every `.. kernel-doc::` path is relative to the top of
# this repository.

import os
import sys

from sphinx.errors import ConfigError

ksrc = os.environ.get('KCTX_KSRC')
if not ksrc or not os.path.isfile(os.path.join(ksrc, 'scripts', 'kernel-doc')):
    raise ConfigError('KCTX_KSRC must name an unpacked kernel source tree '
                      '(got %r); run make htmldocs, which sets it' % ksrc)
sys.path.insert(0, os.path.join(ksrc, 'Documentation', 'sphinx'))

project = 'kctx'
copyright = 'The kctx authors'
master_doc = 'index'
source_suffix = '.rst'
exclude_patterns = []

extensions = ['kerneldoc']
kerneldoc_bin = os.path.join(ksrc, 'scripts', 'kernel-doc')
kerneldoc_srctree = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# As the kernel's own conf.py does: C is the primary domain, literal blocks
# are not highlighted, and the kernel's attributes parse in prototypes.
primary_domain = 'c'
highlight_language = 'none'
c_id_attributes = ['__must_check', '__printf', '__user', '__rcu',
                   '__always_inline', 'noinline', '__init', '__exit']
c_paren_attributes = ['__printf', '__attribute__']

html_theme = 'alabaster'
html_static_path = []
html_show_sourcelink = False
