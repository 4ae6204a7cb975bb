"""tools/real_data_study.py: the recipe ablation's switches and the tables
the study writes from finished steps."""
import json
import os
from types import SimpleNamespace

import pytest
from mmengine.config import Config

from tool_module import load_tool, person_slots

study = load_tool('real_data_study')
demo = load_tool('demo')

PAPER = study.pretrain_config(
    'ablation/aimclr_paper_recipe_stgcn_ntu60_xsub_joint.py')
DEFAULT = study.pretrain_config('aimclr_stgcn_ntu60_xsub_joint.py')


def _model(path, options=()):
    cfg = Config.fromfile(path)
    demo.merge_cfg_options(cfg, list(options))
    model = cfg.to_dict()['model']
    # init_cfg=None and no init_cfg both mean mmaction2's initialisation
    for part in ('backbone', 'neck'):
        if model[part].get('init_cfg', 0) is None:
            del model[part]['init_cfg']
    return model


def _leaves(node, prefix=''):
    if isinstance(node, dict):
        return {k: v for key, value in node.items()
                for k, v in _leaves(value, f'{prefix}{key}.').items()}
    return {prefix[:-1]: node}


def test_all_recipe_switches_turn_the_paper_recipe_into_the_default():
    options = [o for v in study.RECIPE_SWITCHES.values() for o in v]
    assert _model(PAPER) != _model(DEFAULT)
    assert _model(PAPER, options) == _model(DEFAULT)


@pytest.mark.parametrize('name', sorted(study.RECIPE_SWITCHES))
def test_each_recipe_switch_sets_only_its_own_values(name):
    """A switch moves the values it names to the default's and nothing
    else, so each row of the ablation differs from the paper in one
    value."""
    paper = _leaves(_model(PAPER))
    default = _leaves(_model(DEFAULT))
    switched = _leaves(_model(PAPER, study.RECIPE_SWITCHES[name]))
    changed = {k for k in set(paper) | set(switched)
               if paper.get(k, 'absent') != switched.get(k, 'absent')}
    assert changed
    for key in changed:
        assert switched.get(key, 'absent') == default.get(key, 'absent'), key


def test_recipe_groups_run_each_switch_alone_and_all_but_one():
    switches = list(study.RECIPE_SWITCHES)
    names = study.expand(['recipe'])
    assert names == ['paper_recipe'] + [f'paper+{n}' for n in switches]
    for name in names[1:]:
        config, stream, options, _ = study.variant(name)
        assert config == study.VARIANTS['paper_recipe'][0]
        assert options == study.RECIPE_SWITCHES[name[len('paper+'):]]
    all_but_one = study.expand(['recipe_all_but_one'])
    assert len(all_but_one) == len(switches)
    paper = _leaves(_model(PAPER))
    default = _leaves(_model(DEFAULT))
    for left_out, name in zip(switches, all_but_one):
        # the default recipe with one value back at the paper's
        model = _leaves(_model(PAPER, study.variant(name)[2]))
        back = {k for k in set(default) | set(model)
                if model.get(k, 'absent') != default.get(k, 'absent')}
        assert back and all(model.get(k, 'absent') == paper.get(k, 'absent')
                            for k in back), name
        alone = _leaves(_model(PAPER, study.RECIPE_SWITCHES[left_out]))
        assert back == {k for k in set(alone) | set(paper) if alone.get(
            k, 'absent') != paper.get(k, 'absent')}, name


def test_any_combination_of_switches_is_a_variant():
    config, stream, options, group = study.variant(
        'paper+bn_projector+copy_key_encoder')
    assert (config, stream, group) == (
        study.VARIANTS['paper_recipe'][0], 'joint', 'recipe')
    assert options == (study.RECIPE_SWITCHES['bn_projector'] +
                       study.RECIPE_SWITCHES['copy_key_encoder'])
    # one stream of the 3s variant, evaluated alone; no stream of another
    assert study.expand(['aimclr_3s_bone', 'random_motion']) == [
        'aimclr_3s_bone', 'random_motion']
    assert study.three_stream_part('aimclr_3s_bone') == ('aimclr_3s', 'bone')
    for unknown in ('paper+bn', 'paper', 'paper+', 'skeletonclr+momentum',
                    'aimclr_joint_bone', 'aimclr_3s_hand'):
        assert study.variant(unknown) is None
        with pytest.raises(SystemExit, match='unknown variant'):
            study.expand([unknown])


@pytest.mark.parametrize('name', [*study.VARIANTS, 'random_bone'])
def test_person_slots_are_found_in_each_config_the_variant_runs(name):
    """Every variant's pretraining config and each of its streams' linear
    configs get their own person-slot options, so a single-person data set
    runs one slot wherever a config's pipeline puts it."""
    runner = study.Study.__new__(study.Study)
    runner.num_person, runner.queue = 1, 64
    runner.ann_file, runner.num_classes = 'data.pkl', 10
    runner.args = SimpleNamespace(seed=0)
    if name.startswith('random_'):
        config, stream = study.SINGLE_STREAM_CONFIG, 'bone'
    else:
        config, stream = study.variant(name)[:2]
    pretrain = study.pretrain_config(config)
    assert 2 in person_slots(pretrain)
    slots = person_slots(pretrain, runner.data_options(stream, config))
    assert slots and set(slots) == {1}, slots
    for part in study.STREAMS if stream == 'all' else [stream]:
        _, linear = runner.person_options(
            study.SINGLE_STREAM_CONFIG if stream == 'all' else config, part)
        slots = person_slots(study.linear_config(part), linear)
        assert slots and set(slots) == {1}, (part, slots)


def _finished(work_dir, name, knn, linear, curve):
    """A finished variant as the study leaves it: result.json and the
    pretraining's scalars.json."""
    os.makedirs(work_dir / name / 'pretrain' / 'run' / 'vis_data')
    with open(work_dir / name / 'pretrain' / 'run' / 'vis_data' /
              'scalars.json', 'w') as f:
        for epoch, top1 in curve.items():
            f.write(json.dumps({'knn/top1_k20': top1, 'step': epoch}) + '\n')
        f.write(json.dumps(dict(query_std=0.087, key_cos=-0.02, step=9)) +
                '\n')
    result = dict(
        name=name, stream='joint', knn_top1={'20': knn},
        linear_top1_per_seed=linear,
        linear_top1=sum(linear) / len(linear) if linear else None,
        dumps=[], embedding=dict(query_std=0.087, key_cos=-0.02,
                                 logit_pos=4.5, logit_neg=0.05))
    with open(work_dir / name / 'result.json', 'w') as f:
        json.dump(result, f)


def test_table_has_knn_only_rows_and_the_knn_curves(tmp_path):
    _finished(tmp_path, 'paper_recipe', 0.4848, [], {20: 0.5455, 40: 0.4848})
    _finished(tmp_path, 'aimclr_joint', 0.798, [0.9, 0.8, 0.85],
              {20: 0.7273, 40: 0.798})
    fake = SimpleNamespace(
        work_dir=str(tmp_path), num_classes=10, epochs=40, queue=64,
        amp=False, linear_epochs=25, seeds=[0, 1, 2],
        args=SimpleNamespace(data='utkinect', batch_size=32))
    study.write_table(fake)
    table = (tmp_path / 'study.md').read_text().splitlines()
    assert 'linear probe 25 epochs, seeds 0, 1, 2; KNN k = 20.' in table[2]
    [paper] = [r for r in table if r.startswith('| paper_recipe | joint')]
    assert '| not probed |' in paper and '| 48.5 |' in paper
    [aimclr] = [r for r in table if r.startswith('| aimclr_joint | joint')]
    assert '| 85.0 | 90.0 / 80.0 / 85.0 | 79.8 |' in aimclr
    assert '| 0.087 | -0.020 | 4.500 | 0.050 |' in aimclr
    assert '| variant | 20 | 40 |' in table
    assert '| paper_recipe | 54.5 | 48.5 |' in table
    assert '| aimclr_joint | 72.7 | 79.8 |' in table
    # a random-init encoder: no pretraining to monitor or time
    os.makedirs(tmp_path / 'random_joint')
    with open(tmp_path / 'random_joint' / 'result.json', 'w') as f:
        json.dump(dict(name='random_joint', stream='joint',
                       knn_top1={'20': 0.455}, linear_top1_per_seed=[0.5],
                       linear_top1=0.5, dumps=[]), f)
    study.write_table(fake)
    table = (tmp_path / 'study.md').read_text().splitlines()
    [random] = [r for r in table if r.startswith('| random_joint | joint')]
    assert not any(r.endswith(' ') for r in table)
    cells = [c.strip() for c in random.split('|')[1:-1]]
    assert cells[4:] == ['45.5', '', '', '', '', '']
    # no fusion of methods whose streams were not probed
    assert not any('fusion' in r for r in table)
    fake.seeds = []
    study.write_table(fake)
    assert 'no linear probe; KNN k = 20.' in (
        tmp_path / 'study.md').read_text().splitlines()[2]
    saved = json.load(open(tmp_path / 'study.json'))
    assert saved['knn_curves']['aimclr_joint'] == {'20': 0.7273, '40': 0.798}
