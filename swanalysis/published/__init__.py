"""Published statistics wing: the DfE's *Children's social work workforce* release files.

``panel`` reads every release into one tidy panel, ``areas`` resolves authorities (joint returns,
boundary changes) and statistical neighbours, ``fetch`` downloads the newest release, ``memo``
keeps what is derived from one panel object. Nothing here reads worker-level data.
"""
